package transport

import (
	"net/netip"
	"os"
	"testing"
)

func TestDefaultRoute(t *testing.T) {
	table, err := os.ReadFile("testdata/route")
	if err != nil {
		t.Fatal(err)
	}
	arp, err := os.ReadFile("testdata/arp")
	if err != nil {
		t.Fatal(err)
	}
	// The lowest metric wins; a route without a gateway (a VPN's tun0
	// here) does not name the network.
	iface, gw, ok := defaultRoute(table)
	if !ok || iface != "eth0" || gw != netip.MustParseAddr("192.0.2.1") {
		t.Fatalf("default route %s via %s (%v), want eth0 via 192.0.2.1", iface, gw, ok)
	}
	if mac := arpAddr(arp, gw); mac != "02:fc:00:00:00:05" {
		t.Errorf("gateway's address %q", mac)
	}
	for _, bad := range []string{"", "garbage\n", "Iface Destination\neth0 00000000 zz 0003 0 0 0 00000000\n"} {
		if _, _, ok := defaultRoute([]byte(bad)); ok {
			t.Errorf("a default route in %q", bad)
		}
	}
	// Two homes with the same gateway address but different routers are
	// different networks.
	if networkHash("eth0", "192.168.1.1", "aa:bb:cc:00:11:22") == networkHash("eth0", "192.168.1.1", "aa:bb:cc:00:11:23") {
		t.Error("two routers, one network")
	}
	if n := CurrentNetwork(); n.ID != "" && len(n.ID) != 12 {
		t.Errorf("network ID %q", n.ID)
	}
}
