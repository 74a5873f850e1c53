package transporttest

import (
	"io"
	"net/http"
	"net/netip"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// DoH answers RFC 8484 queries (POST, application/dns-message) from
// answers, a name (with or without the final dot) to its IPv4 address: an
// A record of TTL 60 for a name it knows, NXDOMAIN for one it does not,
// and no records for other types of a known name.
func DoH(answers map[string]string) http.Handler {
	byName := map[string]netip.Addr{}
	for name, ip := range answers {
		byName[strings.TrimSuffix(name, ".")] = netip.MustParseAddr(ip)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		var q dnsmessage.Message
		if r.Header.Get("Content-Type") != "application/dns-message" || q.Unpack(body) != nil || len(q.Questions) != 1 {
			http.Error(w, "bad query", http.StatusBadRequest)
			return
		}
		qq := q.Questions[0]
		m := dnsmessage.Message{Header: dnsmessage.Header{ID: q.ID, Response: true, RecursionAvailable: true}, Questions: q.Questions}
		ip, ok := byName[strings.TrimSuffix(qq.Name.String(), ".")]
		switch {
		case !ok:
			m.Header.RCode = dnsmessage.RCodeNameError
		case qq.Type == dnsmessage.TypeA && ip.Is4():
			m.Answers = append(m.Answers, dnsmessage.Resource{
				Header: dnsmessage.ResourceHeader{Name: qq.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
				Body:   &dnsmessage.AResource{A: ip.As4()},
			})
		}
		packed, _ := m.Pack()
		w.Header().Set("Content-Type", "application/dns-message")
		w.Write(packed)
	})
}
