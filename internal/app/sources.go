package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kabootar/kabootar/assets"
	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/transport"
)

// ErrAlreadyFollowed is a source that is followed already (it is also
// cache.ErrExists).
var ErrAlreadyFollowed error = alreadyFollowed{}

type alreadyFollowed struct{}

func (alreadyFollowed) Error() string { return "already followed" }
func (alreadyFollowed) Unwrap() error { return cache.ErrExists }

// InputError is what the reader typed that cannot be a source or a
// setting; the message says why. It wraps the cause's type where there is
// one (feeds.ErrBadAddress, transport.ErrBadProxy…).
type InputError struct {
	msg string
	err error
}

func (e *InputError) Error() string { return e.msg }
func (e *InputError) Unwrap() error { return e.err }

func inputf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &InputError{msg: err.Error(), err: errors.Unwrap(err)}
}

// UnreachableError is a source that was added as typed but could not be
// reached now: it will be tried on every refresh.
type UnreachableError struct {
	Err error
	// Proxy says the reader's proxy failed, not the site.
	Proxy bool
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("could not reach it now (%v)", e.Err)
}
func (e *UnreachableError) Unwrap() error { return e.Err }

// AddOptions are what the reader may give with a source.
type AddOptions struct {
	Name     string
	Mirrors  []string
	FullText bool
}

// Added is the source that was added, and whether it answered now.
type Added struct {
	Source cache.Source // with its ID
	// FeedURL is the feed found behind the address typed, when it differs.
	FeedURL string
	// Unreachable is set (an *UnreachableError) when it could not be
	// reached now; it was added all the same.
	Unreachable error
}

// AddSource follows what the reader typed: a feed or site address, a
// Telegram channel (@name, t.me/name) or a bridge source (instagram:NAME).
func (a *App) AddSource(ctx context.Context, input string, o AddOptions) (Added, error) {
	input = strings.TrimSpace(input)
	kind := cache.KindFeed
	channel, isChannel := feeds.ParseChannel(input)
	bridgeKind, account, isBridge := feeds.ParseBridgeSource(input)
	switch {
	case isChannel:
		kind = cache.KindTelegram
	case isBridge:
		kind = cache.KindBridge
		if !feeds.ValidBridgeAccount(account) {
			return Added{}, inputf("%q: %q is not an account name", input, account)
		}
	case strings.HasPrefix(input, "@") || strings.Contains(input, "t.me/"):
		return Added{}, inputf("%q is not a Telegram channel: a public channel is @name (5 to 32 letters, digits or _)", input)
	default:
		if _, err := feeds.NormalizeURL(input); err != nil {
			return Added{}, inputf("%w", err)
		}
	}
	var ms []string
	for _, m := range o.Mirrors {
		u, err := feeds.NormalizeURL(m)
		if err != nil {
			return Added{}, inputf("--mirror: %w", err)
		}
		ms = append(ms, u)
	}

	client, n, err := a.clientAndNetwork(ctx)
	if err != nil {
		return Added{}, err
	}
	defer client.Close()
	var found feeds.Found
	switch kind {
	case cache.KindTelegram:
		found, err = feeds.NewParser().FindChannel(ctx, client, a.TelegramHost(), channel, ms)
	case cache.KindBridge:
		found = feeds.Found{URL: bridgeKind + ":" + account}
		if _, err := feeds.ExpandBridge(n.Bridges, n.BridgeTemplates(), found.URL); err != nil {
			return Added{}, err
		}
	default:
		found, err = feeds.NewParser().Find(ctx, client, input)
	}
	if err != nil {
		return Added{}, fmt.Errorf("nothing added: %w", err)
	}
	src := cache.Source{Kind: kind, URL: found.URL, Name: cmp.Or(o.Name, found.Title), SiteURL: found.SiteURL, Mirrors: ms, FullText: o.FullText}
	if src.Name == "" && kind == cache.KindBridge {
		src.Name = found.URL
	}
	src.ID, err = a.store.AddSource(ctx, src)
	if errors.Is(err, cache.ErrExists) {
		return Added{}, fmt.Errorf("%s is %w", found.URL, ErrAlreadyFollowed)
	}
	if err != nil {
		return Added{}, err
	}
	added := Added{Source: src}
	if found.URL != input && kind == cache.KindFeed {
		added.FeedURL = found.URL
	}
	if found.Unreachable != nil {
		v := transport.VerdictOf(found.Unreachable)
		added.Unreachable = &UnreachableError{Err: found.Unreachable,
			Proxy: v == transport.VerdictProxyAuth || v == transport.VerdictProxyUnreachable}
	}
	return added, nil
}

// Starters are the starter sources that ship with Kabootar.
func (a *App) Starters() ([]feeds.Starter, error) { return feeds.ReadStarters(assets.Starter) }

// AddStarterLanguage adds the starter sources of a language without asking
// the network (the list says what each is): how many were added, of how
// many.
func (a *App) AddStarterLanguage(ctx context.Context, language string) (added, listed int, err error) {
	if !slices.Contains(feeds.StarterLanguages, language) {
		return 0, 0, inputf("--starter: %q is not one of %s", language, strings.Join(feeds.StarterLanguages, ", "))
	}
	list, err := a.Starters()
	if err != nil {
		return 0, 0, err
	}
	chosen := feeds.StartersFor(list, language)
	added, err = a.AddStarters(ctx, chosen)
	return added, len(chosen), err
}

// AddStarters adds the chosen starter sources; those followed already
// are left as they are.
func (a *App) AddStarters(ctx context.Context, list []feeds.Starter) (int, error) {
	srcs := make([]cache.Source, 0, len(list))
	for _, s := range list {
		srcs = append(srcs, s.Source())
	}
	return a.store.AddSources(ctx, srcs)
}

// Bridges are the bridge instances configured.
func (a *App) Bridges(ctx context.Context) ([]string, error) {
	n, err := LoadNetwork(ctx, a.store)
	return n.Bridges, err
}

// ErrBridgeExists is a bridge added twice.
var ErrBridgeExists = errors.New("is already a bridge")

// ErrNoSuchBridge is a bridge removed that is not there.
var ErrNoSuchBridge = errors.New("is not a bridge")

// AddBridge adds an RSSHub or RSS-Bridge instance; it gives the address
// as kept.
func (a *App) AddBridge(ctx context.Context, base string) (string, error) {
	u, err := feeds.NormalizeURL(base)
	if err != nil {
		return "", inputf("%w", err)
	}
	u = strings.TrimSuffix(u, "/")
	n, err := LoadNetwork(ctx, a.store)
	if err != nil {
		return "", err
	}
	if slices.Contains(n.Bridges, u) {
		return "", fmt.Errorf("%s %w", u, ErrBridgeExists)
	}
	n.Bridges = append(n.Bridges, u)
	return u, n.Save(ctx, a.store)
}

// RemoveBridge removes a bridge instance.
func (a *App) RemoveBridge(ctx context.Context, base string) error {
	n, err := LoadNetwork(ctx, a.store)
	if err != nil {
		return err
	}
	kept := slices.DeleteFunc(slices.Clone(n.Bridges), func(b string) bool { return b == strings.TrimSuffix(base, "/") })
	if len(kept) == len(n.Bridges) {
		return fmt.Errorf("%s %w; see kabootar bridges list", base, ErrNoSuchBridge)
	}
	n.Bridges = kept
	return n.Save(ctx, a.store)
}
