package transport

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Network is the network this machine is on, as far as it can tell
// without sending anything: route memory is kept per network, so that a
// laptop moved from home broadband to mobile data races again instead of
// trusting what worked elsewhere.
type Network struct {
	// ID is a short hash of what identifies the network; "" when nothing
	// does (no interface up).
	ID string
	// Describe says what it was made from, for people
	// ("eth0 via 192.168.1.1").
	Describe string
}

// CurrentNetwork identifies the network. On Linux it is the default
// route's interface and gateway and the gateway's hardware address (two
// homes with the same 192.168.1.1 have different routers); elsewhere, or
// without a default route, the addresses of the interfaces that are up,
// as networks (a machine's own address changes more often than its
// network).
func CurrentNetwork() Network {
	route, _ := os.ReadFile("/proc/net/route")
	if iface, gw, ok := defaultRoute(route); ok {
		arp, _ := os.ReadFile("/proc/net/arp")
		mac := arpAddr(arp, gw)
		return Network{ID: networkHash(iface, gw.String(), mac), Describe: iface + " via " + gw.String()}
	}
	return interfacesNetwork()
}

func networkHash(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(h[:6])
}

// defaultRoute reads /proc/net/route: the default route of lowest metric.
func defaultRoute(table []byte) (iface string, gw netip.Addr, ok bool) {
	const rtfUp, rtfGateway = 0x1, 0x2
	best := -1
	sc := bufio.NewScanner(bytes.NewReader(table))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 || f[1] != "00000000" || f[7] != "00000000" {
			continue // not a default route (or the header)
		}
		flags, err1 := strconv.ParseUint(f[3], 16, 32)
		metric, err2 := strconv.Atoi(f[6])
		g, err3 := strconv.ParseUint(f[2], 16, 32)
		if err1 != nil || err2 != nil || err3 != nil || flags&(rtfUp|rtfGateway) != rtfUp|rtfGateway {
			continue
		}
		if best >= 0 && metric >= best {
			continue
		}
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(g)) // the kernel writes it in host order
		best, iface, gw, ok = metric, f[0], netip.AddrFrom4(b), true
	}
	return iface, gw, ok
}

// arpAddr is the hardware address of ip in /proc/net/arp, or "".
func arpAddr(table []byte, ip netip.Addr) string {
	sc := bufio.NewScanner(bytes.NewReader(table))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 4 && f[0] == ip.String() && f[3] != "00:00:00:00:00:00" {
			return strings.ToLower(f[3])
		}
	}
	return ""
}

// interfacesNetwork identifies the network by the networks of the
// interfaces that are up (loopback and link-local left out).
func interfacesNetwork() Network {
	ifs, err := net.Interfaces()
	if err != nil {
		return Network{}
	}
	var nets, names []string
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			p, err := netip.ParsePrefix(a.String())
			if err != nil || p.Addr().IsLinkLocalUnicast() || p.Addr().IsLoopback() {
				continue
			}
			nets = append(nets, i.Name+" "+p.Masked().String())
			names = append(names, i.Name)
		}
	}
	if len(nets) == 0 {
		return Network{}
	}
	slices.Sort(nets)
	slices.Sort(names)
	return Network{ID: networkHash(nets...), Describe: strings.Join(slices.Compact(names), ", ")}
}
