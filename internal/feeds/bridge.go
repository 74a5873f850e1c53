package feeds

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Bridges turn accounts of platforms without public feeds (Instagram, X)
// into feeds: RSSHub and RSS-Bridge instances, Nitter-like mirrors. A
// bridge source (instagram:NAME, x:NAME, telegram:NAME) expands, at each
// refresh, into one URL per configured bridge, tried as mirrors. This file
// is the one rule for them: the command line, OPML import and bundle
// import all ask it.

// ErrNoBridge is a bridge source followed with no bridge configured.
var ErrNoBridge = errors.New("no bridge is configured")

// DefaultBridgeTemplates are RSSHub's routes, by kind; RSS-Bridge users
// set their own. A new map each call: callers may change theirs.
func DefaultBridgeTemplates() map[string]string {
	return map[string]string{
		"instagram": "{base}/instagram/user/{account}",
		"x":         "{base}/twitter/user/{account}",
		"telegram":  "{base}/telegram/channel/{account}",
	}
}

var bridgeAccount = regexp.MustCompile(`^[A-Za-z0-9_.]{1,64}$`)

// ParseBridgeSource reads instagram:NAME, x:NAME and telegram:NAME (the
// kind in any case, the name with or without @). ok says the kind is one
// Kabootar knows; ValidBridgeAccount says whether the name can be one.
func ParseBridgeSource(s string) (kind, account string, ok bool) {
	kind, account, found := strings.Cut(strings.TrimSpace(s), ":")
	if !found {
		return "", "", false
	}
	kind = strings.ToLower(kind)
	if _, known := DefaultBridgeTemplates()[kind]; !known {
		return "", "", false
	}
	return kind, strings.TrimPrefix(account, "@"), true
}

// ValidBridgeAccount says whether account can be a platform's account name.
func ValidBridgeAccount(account string) bool { return bridgeAccount.MatchString(account) }

// BridgeSource is s as a bridge source is stored (kind:account), and
// whether it is one a refresh can expand.
func BridgeSource(s string) (string, bool) {
	kind, account, ok := ParseBridgeSource(s)
	if !ok || !ValidBridgeAccount(account) {
		return "", false
	}
	return kind + ":" + account, true
}

// IsBridgeSource says whether s is a bridge source exactly as stored.
func IsBridgeSource(s string) bool {
	canon, ok := BridgeSource(s)
	return ok && canon == s
}

// ExpandBridge gives a bridge source's URLs, one per bridge in bases, from
// templates (kind -> URL with {base} and {account}).
func ExpandBridge(bases []string, templates map[string]string, source string) ([]string, error) {
	kind, account, ok := ParseBridgeSource(source)
	if !ok {
		return nil, fmt.Errorf("%q is not a bridge source (instagram:NAME, x:NAME, telegram:NAME)", source)
	}
	if len(bases) == 0 {
		return nil, fmt.Errorf("%w to follow %s; add an RSSHub or RSS-Bridge instance you trust with: kabootar bridges add URL", ErrNoBridge, source)
	}
	tpl := templates[kind]
	if tpl == "" {
		tpl = DefaultBridgeTemplates()[kind]
	}
	var urls []string
	for _, b := range bases {
		r := strings.NewReplacer("{base}", strings.TrimSuffix(b, "/"), "{account}", url.PathEscape(account))
		urls = append(urls, r.Replace(tpl))
	}
	return urls, nil
}
