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
func DoH(answers map[string]string) http.Handler { return DoHRecords(answers, nil) }

// HTTPS is a name's DNS HTTPS record (RFC 9460) in service mode: its ECH
// config list and address hints, either of which may be empty.
type HTTPS struct {
	ECH   []byte
	Hints []netip.Addr
}

// DoHRecords is DoH with HTTPS records too, for the names in https.
func DoHRecords(answers map[string]string, https map[string]HTTPS) http.Handler {
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
		case qq.Type == dnsmessage.TypeHTTPS:
			rec, has := https[strings.TrimSuffix(qq.Name.String(), ".")]
			if !has {
				break
			}
			var svcb dnsmessage.SVCBResource
			svcb.Priority, svcb.Target = 1, dnsmessage.MustNewName(".")
			var v4 []byte
			for _, h := range rec.Hints {
				b := h.As4()
				v4 = append(v4, b[:]...)
			}
			if len(v4) > 0 {
				svcb.SetParam(dnsmessage.SVCParamIPv4Hint, v4)
			}
			if len(rec.ECH) > 0 {
				svcb.SetParam(dnsmessage.SVCParamECH, rec.ECH)
			}
			m.Answers = append(m.Answers, dnsmessage.Resource{
				Header: dnsmessage.ResourceHeader{Name: qq.Name, Type: dnsmessage.TypeHTTPS, Class: dnsmessage.ClassINET, TTL: 300},
				Body:   &dnsmessage.HTTPSResource{SVCBResource: svcb},
			})
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
