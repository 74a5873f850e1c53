package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/keys"
)

// Identity is this reader's signing key, made on first use in the data
// directory.
func (a *App) Identity() (*keys.Identity, error) {
	return keys.Load(a.dir)
}

// ErrNotTrusted is a fingerprint no trusted key has.
var ErrNotTrusted = errors.New("no trusted key has this fingerprint")

// Trust trusts a key given as its text form, or a file holding one: a
// saved key, or a bundle (its signer is trusted). name is what the reader
// calls its owner ("" keeps the name it had).
func (a *App) Trust(ctx context.Context, keyOrFile, name string) (keys.PublicKey, error) {
	k, err := a.readKey(ctx, keyOrFile)
	if err != nil {
		return nil, inputf("%w", err)
	}
	if len(name) > 200 {
		return nil, inputf("a name of more than 200 characters")
	}
	if id, err := a.Identity(); err == nil && id.Public().Equal(k) {
		return nil, inputf("this is your own key; your own bundles are always yours")
	}
	return k, a.store.Trust(ctx, k, strings.TrimSpace(name))
}

// readKey reads a public key from its text, a key file or a bundle.
func (a *App) readKey(ctx context.Context, s string) (keys.PublicKey, error) {
	if k, err := keys.ParsePublicKey(s); err == nil {
		return k, nil
	}
	info, err := os.Stat(s)
	if err != nil {
		return nil, fmt.Errorf("%q is neither a key (kabootar-key:…) nor a file", s)
	}
	if info.Size() < 1<<10 {
		data, err := os.ReadFile(s)
		if err != nil {
			return nil, err
		}
		return keys.ParsePublicKey(string(data))
	}
	f, err := os.Open(s)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The signer, as the bundle's verified signature gives it: nothing is
	// imported (Accept, asked after verifying, refuses).
	stop := errors.New("verified")
	var signer keys.PublicKey
	rules := importRules(func(i cache.BundleInfo) error { signer = i.Signer; return stop })
	_, err = a.store.ImportBundle(ctx, f, info.Size(), rules)
	if err != nil && !errors.Is(err, stop) {
		return nil, err
	}
	if signer == nil {
		return nil, fmt.Errorf("%s is not signed: it has no key to trust", s)
	}
	return signer, nil
}

// Untrust stops trusting the key with this fingerprint.
func (a *App) Untrust(ctx context.Context, fingerprint string) (cache.TrustedKey, error) {
	fp, ok := keys.NormalizeFingerprint(fingerprint)
	if !ok {
		return cache.TrustedKey{}, inputf("%q is not a fingerprint (six groups of five digits; kabootar keys list)", fingerprint)
	}
	k, err := a.store.Untrust(ctx, fp)
	if errors.Is(err, cache.ErrNotFound) {
		return k, fmt.Errorf("%s: %w", fp, ErrNotTrusted)
	}
	return k, err
}

// TrustedKeys lists the keys trusted.
func (a *App) TrustedKeys(ctx context.Context) ([]cache.TrustedKey, error) {
	return a.store.TrustedKeys(ctx)
}
