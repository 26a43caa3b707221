"""`interlock demo`: the SPEC §1 venue proved, built, deployed with its monitor on a local Anvil,
then drained the way Euler Finance was (March 2023), with and without the guard.

Data flows one way: `scenario` (the incident, as data) -> `stage` (chain, demo rules, build,
deployment) -> `monitor_process` (the built monitor as a process) -> `drain` (the replay and
its measurements) -> `display` (rich layout) ; `story.run_demo` runs the steps in order and
returns the facts the end-to-end test asserts.
"""
