# tests/certs.sh: sourced by the TLS tests. make_certs DIR makes, with the
# openssl command line tool, a fresh test PKI in DIR (nothing is kept in the
# tree; every run makes new keys):
#
#   ca.pem, ca.key              a CA ("mxhold test CA")
#   server.pem, server.key      signed by the CA, valid now, for the names
#                               localhost, mx.customer.test, *.customer.test
#                               and the address 127.0.0.1
#   chain.pem                   server.pem followed by ca.pem
#   expired.pem, expired.key    signed by the CA, same names, valid only in 2020
#   wrongname.pem, wrongname.key  signed by the CA, valid now, for
#                               wrong.invalid only
#   self.pem, self.key          self-signed, valid now, for localhost
#
# Each certificate uses an EC P-256 key (fast to make). Returns non-zero if
# openssl failed; its messages are in DIR/openssl.log.
make_certs () {
  local d=$1
  mkdir -p "$d/ca-db" || return 1
  : >"$d/ca-db/index.txt"
  echo 1000 >"$d/ca-db/serial"
  cat >"$d/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $d/ca-db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = copy
[ anything ]
commonName = supplied
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = placeholder
[ names_good ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, DNS:mx.customer.test, DNS:*.customer.test, IP:127.0.0.1
[ names_wrong ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.invalid
EOF
  {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout "$d/ca.key" -out "$d/ca.pem" -days 30 -subj "/CN=mxhold test CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
    _leaf "$d" server mx.customer.test names_good "" &&
    _leaf "$d" expired mx.customer.test names_good "-startdate 20200101000000Z -enddate 20200102000000Z" &&
    _leaf "$d" wrongname wrong.invalid names_wrong "" &&
    cat "$d/server.pem" "$d/ca.pem" >"$d/chain.pem" &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout "$d/self.key" -out "$d/self.pem" -days 30 -subj "/CN=localhost" \
      -addext subjectAltName=DNS:localhost
  } >"$d/openssl.log" 2>&1
}

# _leaf DIR NAME CN EXTENSIONS_SECTION "EXTRA openssl ca OPTIONS": a key
# and a certificate signed by DIR's CA
_leaf () {
  local d=$1 n=$2 cn=$3 sect=$4 dates=$5
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$d/$n.key" -out "$d/$n.csr" -subj "/CN=$cn" -config "$d/ca.cnf" || return 1
  # shellcheck disable=SC2086  # dates is a list of options, or empty
  openssl ca -batch -config "$d/ca.cnf" -cert "$d/ca.pem" -keyfile "$d/ca.key" \
    -extfile "$d/ca.cnf" -extensions "$sect" -days 30 $dates \
    -in "$d/$n.csr" -out "$d/$n.pem" -notext
}
