# tls/: mxhold-tls, smtpd's STARTTLS: the one program that links OpenSSL
# (Debian's libssl-dev) and holds the private key. libc and lib/ beside it,
# no skalibs, no libowfat. Dynamic: libssl/libcrypto are shared by every
# TLS connection's process (tls.md, "Cost").
PROGS += tls
tls_OBJS := tls/tls.o tls/tls_ctx.o tls/tls_shake.o tls/tls_relay.o lib/log.o lib/u64.o lib/write_all.o
tls_LIBS := -lssl -lcrypto
