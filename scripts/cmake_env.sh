# Sourced by scripts/build.sh and scripts/sanitize.sh: how they configure a new build folder.
# Ninja when present (scripts/setup.sh installs it): a target's objects compile while the libraries it links
# are still being built, which keeps both cores busier than Makefiles do (docs/testing.md, "Sanitizers").
# A folder keeps the generator it was first configured with (CMake ignores this for an existing cache).
if [ -z "${CMAKE_GENERATOR:-}" ] && command -v ninja >/dev/null 2>&1; then export CMAKE_GENERATOR=Ninja; fi
