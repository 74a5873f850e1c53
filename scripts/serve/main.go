// Command serve serves a directory over HTTP on a loopback address until
// killed, printing "ready" once it listens: the Windows test's news site.
//
//	go run ./scripts/serve -addr 127.0.0.1:8080 -dir internal/feeds/testdata
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "a loopback address to listen on")
	dir := flag.String("dir", ".", "the directory to serve")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("serve listens on loopback only, not %q", *addr)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ready", ln.Addr())
	log.Fatal(http.Serve(ln, http.FileServer(http.Dir(*dir))))
}
