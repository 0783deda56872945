# `make install` (DESTDIR works); the Debian package (debian/, dpkg-buildpackage) installs
# through it. The binary finds the installed profiles by default (GW_PROFILES_DIR); the
# service unit runs it on SYSCONFDIR/fieldgate/gateway.yaml.
set(GW_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "systemd unit directory (relative: under the install prefix)")
set(GW_SYSUSERSDIR "lib/sysusers.d" CACHE STRING
    "sysusers.d directory (relative: under the install prefix)")

set(GW_BINDIR "${CMAKE_INSTALL_FULL_BINDIR}")
set(GW_CONFDIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/fieldgate")
configure_file(${PROJECT_SOURCE_DIR}/packaging/fieldgate.service.in
               ${PROJECT_BINARY_DIR}/packaging/fieldgate.service @ONLY)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/drivers/profiles/ DESTINATION ${GW_PROFILES_DIR}
        FILES_MATCHING PATTERN "*.yaml")
install(FILES ${PROJECT_SOURCE_DIR}/packaging/examples/gateway.yaml DESTINATION ${GW_CONFDIR}
        RENAME gateway.yaml.example)
# the example config with templates of its records, which `check` accepts as they are
install(FILES ${PROJECT_SOURCE_DIR}/packaging/examples/gateway.yaml
        ${PROJECT_SOURCE_DIR}/packaging/examples/households.csv
        ${PROJECT_SOURCE_DIR}/packaging/examples/plots.csv
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/man/fieldgate.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/man/gateway.yaml.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${PROJECT_BINARY_DIR}/packaging/fieldgate.service DESTINATION ${GW_SYSTEMD_UNITDIR})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/fieldgate.sysusers DESTINATION ${GW_SYSUSERSDIR}
        RENAME fieldgate.conf)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/alerts.yml DESTINATION ${CMAKE_INSTALL_DATADIR}/fieldgate)
# bash completion, where bash-completion looks for it on demand
install(FILES ${PROJECT_SOURCE_DIR}/scripts/bash-completion/fieldgate
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${PROJECT_SOURCE_DIR}/drivers/profiles/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
        RENAME profiles.md)
