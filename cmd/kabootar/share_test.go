package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type keyJSON struct{ Key, Fingerprint string }

// Keys: shown, trusted by their text, listed, untrusted by fingerprint
// (as typed, in groups); bad input is a usage error.
func TestKeysCommands(t *testing.T) {
	a, b := newKB(t), newKB(t)
	var ka, kb2 keyJSON
	a.json(&ka, "keys", "show", "--json")
	b.json(&kb2, "keys", "show", "--json")
	if ka.Key == kb2.Key || !strings.HasPrefix(ka.Key, "kabootar-key:") {
		t.Fatalf("keys %q and %q", ka.Key, kb2.Key)
	}
	if out := a.must(0, "keys", "show"); !strings.Contains(out, ka.Fingerprint) {
		t.Errorf("keys show: %q", out)
	}
	if info, err := os.Stat(filepath.Join(a.data, "identity.key")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the key file: %v, %v", info, err)
	}
	if out := b.must(0, "keys", "list"); !strings.Contains(out, "No trusted keys") {
		t.Errorf("keys list, none: %q", out)
	}
	b.must(0, "keys", "trust", ka.Key, "--name", "Sara")
	if out := b.must(0, "keys", "list"); !strings.Contains(out, "Sara") || !strings.Contains(out, ka.Fingerprint) {
		t.Errorf("keys list: %q", out)
	}
	for _, args := range [][]string{
		{"keys"}, {"keys", "trust"}, {"keys", "trust", "kabootar-key:AAAA"}, {"keys", "trust", "not-a-key-nor-file"},
		{"keys", "trust", kb2.Key}, // one's own
		{"keys", "untrust", "12345"}, {"keys", "untrust", "00000 00000 00000 00000 00000 00000"},
		{"keys", "show", "--name", "x"}, {"keys", "fly"},
	} {
		if code, _, _ := b.run(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	out := b.must(0, append([]string{"keys", "untrust"}, strings.Fields(ka.Fingerprint)...)...)
	if !strings.Contains(out, "Sara") {
		t.Errorf("untrust: %q", out)
	}
	if out := b.must(0, "keys", "list"); strings.Contains(out, "Sara") {
		t.Errorf("still trusted: %q", out)
	}
	// A damaged key file is said, not replaced.
	os.WriteFile(filepath.Join(a.data, "identity.key"), []byte("garbage"), 0o600)
	if code, _, errOut := a.run("keys", "show"); code == 0 || !strings.Contains(errOut, "damaged") {
		t.Errorf("a damaged key: exit %d, %q", code, errOut)
	}
	if data, _ := os.ReadFile(filepath.Join(a.data, "identity.key")); string(data) != "garbage" {
		t.Error("the damaged key file was replaced")
	}
}

// An incremental export holds only what is new since the last one to the
// same folder; with nothing new, no file.
func TestBundleExportSinceLast(t *testing.T) {
	ns := newNewsServer(t)
	k := newKB(t)
	k.must(0, "sources", "add", ns.URL+"/feed/")
	k.must(0, "refresh")
	dir := t.TempDir()
	first := filepath.Join(dir, "day1.zip")
	if out := k.must(0, "bundle", "export", first, "--since", "last"); !strings.Contains(out, "new articles") {
		t.Errorf("first: %q", out)
	}
	second := filepath.Join(dir, "day2.zip")
	if out := k.must(0, "bundle", "export", second, "--since", "last"); !strings.Contains(out, "Nothing new") {
		t.Errorf("second: %q", out)
	}
	if _, err := os.Stat(second); !os.IsNotExist(err) {
		t.Errorf("a bundle was written with nothing new: %v", err)
	}
	k.must(0, "sources", "add", ns.URL+"/en/atom")
	k.must(0, "refresh")
	third := filepath.Join(dir, "day3.zip")
	k.must(0, "bundle", "export", third, "--since", "last")
	to := newKB(t)
	out := to.must(0, "bundle", "import", third, "--accept")
	if !strings.Contains(out, "1 new sources of 1") {
		t.Errorf("the increment holds more than the new source: %q", out)
	}
	if code, _, _ := k.run("bundle", "export", third, "--since", "yesterday"); code != 2 {
		t.Errorf("--since yesterday: exit %d, want 2", code)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("the folder holds %d files, want 2 (no temporary left)", len(entries))
	}
}

// The shared folder without Syncthing: A's refresh writes a signed bundle
// there; B, trusting A, reads it at its own refresh (with no source of its
// own); a bundle of a key B does not trust waits; a forged one is refused.
func TestShareFolder(t *testing.T) {
	ns := newNewsServer(t)
	dir := filepath.Join(t.TempDir(), "usb stick")
	a, b, c := newKB(t), newKB(t), newKB(t)
	var ka keyJSON
	a.json(&ka, "keys", "show", "--json")
	a.must(0, "share", "set", dir)
	b.must(0, "share", "set", dir)
	b.must(0, "keys", "trust", ka.Key, "--name", "Sara")
	a.must(0, "sources", "add", ns.URL+"/feed/")
	out := a.must(0, "refresh")
	if !strings.Contains(out, "Sent to the shared folder") {
		t.Fatalf("A's refresh: %q", out)
	}
	out = b.must(0, "refresh")
	if !strings.Contains(out, "From the shared folder: ") {
		t.Fatalf("B's refresh: %q", out)
	}
	var arts struct {
		Articles []struct{ ID int64 } `json:"articles"`
	}
	b.json(&arts, "articles", "--json")
	if len(arts.Articles) == 0 {
		t.Fatal("B has none of A's articles")
	}
	// Nothing read twice; nothing sent by B (it fetched nothing itself).
	if out := b.must(0, "refresh"); strings.Contains(out, "From the shared folder") || strings.Contains(out, "Sent to") {
		t.Errorf("B's second refresh: %q", out)
	}
	// C does not trust A: the bundle waits, listed for C.
	c.must(0, "share", "set", dir)
	out = c.must(0, "refresh", "--json")
	if !strings.Contains(out, `"waiting": [`) || !strings.Contains(out, ka.Fingerprint) {
		t.Errorf("C's refresh: %s", out)
	}
	if out := c.must(0, "share", "show"); !strings.Contains(out, "waiting for you") {
		t.Errorf("C's share show: %q", out)
	}
	// Trusting A lets the next refresh take it.
	c.must(0, "keys", "trust", ka.Key)
	if out := c.must(0, "refresh"); !strings.Contains(out, "From the shared folder") {
		t.Errorf("C after trusting: %q", out)
	}
	// A bundle altered by one byte (a copy, its name new) is refused.
	entries, _ := os.ReadDir(dir)
	var bundle string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".zip") {
			bundle = filepath.Join(dir, e.Name())
		}
	}
	data, _ := os.ReadFile(bundle)
	data[len(data)/2] ^= 1
	os.WriteFile(filepath.Join(dir, "kabootar-forged.zip"), data, 0o644)
	d := newKB(t)
	d.must(0, "keys", "trust", ka.Key)
	d.must(0, "share", "set", dir)
	out = d.must(0, "refresh")
	if !strings.Contains(out, "Refused from the shared folder: kabootar-forged.zip") {
		t.Errorf("D's refresh: %q", out)
	}
	if out := d.must(0, "share", "show", "--json"); !strings.Contains(out, `"state": "refused"`) {
		t.Errorf("D's share show: %s", out)
	}
	// Usage, and off.
	for _, args := range [][]string{{"share"}, {"share", "set"}, {"share", "show", "x"}, {"share", "fly"}, {"share", "show", "--keep-days", "3"}} {
		if code, _, _ := a.run(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	a.must(0, "share", "off")
	if out := a.must(0, "share", "show"); !strings.Contains(out, "Sharing is off") {
		t.Errorf("after off: %q", out)
	}
}

// Without Syncthing, share syncthing says what to install and that any
// folder works.
func TestShareSyncthingMissing(t *testing.T) {
	k := newKB(t)
	k.env = map[string]string{"HOME": t.TempDir(), "PATH": t.TempDir()}
	code, _, errOut := k.run("share", "syncthing", "--syncthing-home", filepath.Join(t.TempDir(), "none"))
	if code == 0 || !strings.Contains(errOut, "kabootar share set DIR") {
		t.Errorf("exit %d, %q", code, errOut)
	}
	if code, _, _ := k.run("share", "syncthing", "add", "not-an-id"); code != 2 {
		t.Errorf("a bad device ID: exit %d, want 2", code)
	}
}
