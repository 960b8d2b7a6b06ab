# shellcheck shell=bash
# Sourced by every bench: the glibc settings Kiln ships with (deployment/Dockerfile.jvm, the Deployment,
# compose, the README's run command; GlibcSettingsTest keeps them equal), given to Kiln and to the
# in-process yardsticks alike, so a bench compares code and not allocators. Why these values: the
# README, "Model lifecycle and memory".   Use:  env "${KILN_GLIBC_ENV[@]}" java ...
# shellcheck disable=SC2034
KILN_GLIBC_ENV=(MALLOC_TRIM_THRESHOLD_=1048576 GLIBC_TUNABLES=glibc.malloc.hugetlb=1)
