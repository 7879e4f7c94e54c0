# tls/: mxhold-tls, smtpd's STARTTLS: the one program of the inbound chain
# that links OpenSSL (Debian's libssl-dev) and the one that holds the
# private key. libc and lib/ beside it, no skalibs, no libowfat.
# libssl and libcrypto are linked statically: one exec per STARTTLS, and
# the dynamic loader's relocations of libcrypto.so were a third of the
# start's CPU (about 7 ms dynamic, 4.7 ms static, tls.md "Cost"). libc
# stays dynamic: a static libc makes ld warn about libcrypto's getaddrinfo
# and dlopen, and saved only 0.2 ms more.
PROGS += tls
tls_OBJS := tls/tls.o tls/tls_session.o tls/tls_server.o tls/tls_pair.o tls/tls_ctx.o tls/tls_shake.o tls/tls_relay.o lib/log.o lib/u64.o lib/write_all.o
tls_OBJS += lib/cli.o
tls_LIBS := -l:libssl.a -l:libcrypto.a
ifeq ($(SAN),1)
tls_LIBS := -lssl -lcrypto
endif
