package keys

import (
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
)

func TestLoadMakesOneKeyAndKeepsIt(t *testing.T) {
	dir := t.TempDir()
	id, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %v, want 0600 (readable by the user only)", perm)
	}
	again, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !id.Public().Equal(again.Public()) {
		t.Error("a second Load gave another key")
	}
	msg := []byte("manifest")
	sig := id.Sign(msg)
	if !again.Public().Verify(msg, sig) {
		t.Error("the signature does not verify with the key loaded again")
	}
	if again.Public().Verify([]byte("manifesT"), sig) {
		t.Error("a signature verified over another message")
	}
	other, _ := Load(t.TempDir())
	if other.Public().Verify(msg, sig) {
		t.Error("a signature verified with another key")
	}
	// A raw Ed25519 signature of the same bytes, outside the bundle
	// context, is not a bundle signature.
	if id.Public().Verify(msg, ed25519.Sign(id.priv, msg)) {
		t.Error("a signature made outside the bundle context verified")
	}
}

func TestLoadAtOnceAgrees(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	got := make([]PublicKey, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := Load(dir)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = id.Public()
		}()
	}
	wg.Wait()
	for _, k := range got[1:] {
		if !k.Equal(got[0]) {
			t.Fatal("first runs at once made different keys")
		}
	}
}

func TestCorruptKeyIsNotReplaced(t *testing.T) {
	for name, content := range map[string]string{
		"empty":      "",
		"other":      "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n",
		"truncated":  fileHeader + "\nAAAA\n",
		"not base64": fileHeader + "\n!!!!\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			os.WriteFile(path, []byte(content), 0o600)
			if _, err := Load(dir); !errors.Is(err, ErrCorruptKey) {
				t.Fatalf("Load = %v, want ErrCorruptKey", err)
			}
			if data, _ := os.ReadFile(path); string(data) != content {
				t.Error("the damaged key file was changed")
			}
		})
	}
}

func TestPublicKeyText(t *testing.T) {
	id, _ := Load(t.TempDir())
	k := id.Public()
	back, err := ParsePublicKey("  " + k.String()[:20] + "\n" + k.String()[20:] + " \n")
	if err != nil || !back.Equal(k) {
		t.Fatalf("ParsePublicKey(wrapped) = %v, %v", back, err)
	}
	for _, bad := range []string{"", "abc", k.String()[:len(k.String())-2], "kabootar-key:" + "AAAA", k.String() + "AA", k.Fingerprint()} {
		if _, err := ParsePublicKey(bad); !errors.Is(err, ErrNotKey) {
			t.Errorf("ParsePublicKey(%q) = %v, want ErrNotKey", bad, err)
		}
	}
}

func TestFingerprint(t *testing.T) {
	id, _ := Load(t.TempDir())
	fp := id.Public().Fingerprint()
	if !regexp.MustCompile(`^\d{5}( \d{5}){5}$`).MatchString(fp) {
		t.Fatalf("fingerprint %q is not six groups of five digits", fp)
	}
	if id.Public().Short() != fp[:5] {
		t.Error("Short is not the fingerprint's first group")
	}
	other, _ := Load(t.TempDir())
	if other.Public().Fingerprint() == fp {
		t.Error("two keys have one fingerprint")
	}
	persian := []rune{}
	for _, r := range fp {
		if r >= '0' && r <= '9' {
			r = '۰' + r - '0'
		}
		persian = append(persian, r)
	}
	cases := []struct {
		in string
		ok bool
	}{
		{fp, true},
		{regexp.MustCompile(` `).ReplaceAllString(fp, ""), true},
		{regexp.MustCompile(` `).ReplaceAllString(fp, "-"), true},
		{string(persian), true},
		{fp[:29], false},
		{fp + "1", false},
		{"abcde" + fp[5:], false},
	}
	for _, c := range cases {
		got, ok := NormalizeFingerprint(c.in)
		if ok != c.ok || (ok && got != fp) {
			t.Errorf("NormalizeFingerprint(%q) = %q, %v; want %v", c.in, got, ok, c.ok)
		}
	}
}
