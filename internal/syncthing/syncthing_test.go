package syncthing

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const myID = "AAAAAAA-BBBBBBB-CCCCCCC-DDDDDDD-EEEEEEE-FFFFFFF-GGGGGGG-HHHHHHH"
const friendID = "ZZZZZZZ-YYYYYYY-XXXXXXX-WWWWWWW-VVVVVVV-UUUUUUU-TTTTTTT-SSSSSSS"

// fakeSyncthing answers the REST endpoints Kabootar uses, as Syncthing
// 1.19 does, keeping its configuration in maps.
type fakeSyncthing struct {
	mu      sync.Mutex
	folders map[string]map[string]any
	devices map[string]map[string]any
	key     string
}

func newFake(t *testing.T) (*fakeSyncthing, *httptest.Server) {
	f := &fakeSyncthing{folders: map[string]map[string]any{}, devices: map[string]map[string]any{}, key: "lab-api-key"}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeSyncthing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-API-Key") != f.key {
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := r.URL.Path
	reply := func(v any) { json.NewEncoder(w).Encode(v) }
	var body map[string]any
	if r.Method == http.MethodPut {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	switch {
	case p == "/rest/system/status":
		reply(map[string]any{"myID": myID})
	case p == "/rest/config/defaults/folder":
		reply(map[string]any{"id": "", "path": "~", "rescanIntervalS": 3600, "fsWatcherEnabled": false, "devices": []any{map[string]any{"deviceID": myID}}})
	case p == "/rest/config/defaults/device":
		reply(map[string]any{"deviceID": "", "addresses": []any{"dynamic"}, "compression": "metadata"})
	case strings.HasPrefix(p, "/rest/config/folders/"):
		id := strings.TrimPrefix(p, "/rest/config/folders/")
		if r.Method == http.MethodPut {
			f.folders[id] = body
			return
		}
		if v, ok := f.folders[id]; ok {
			reply(v)
			return
		}
		http.NotFound(w, r)
	case strings.HasPrefix(p, "/rest/config/devices/"):
		id := strings.TrimPrefix(p, "/rest/config/devices/")
		if r.Method == http.MethodPut {
			f.devices[id] = body
			return
		}
		if v, ok := f.devices[id]; ok {
			reply(v)
			return
		}
		http.NotFound(w, r)
	default:
		http.NotFound(w, r)
	}
}

func TestFolderAndDevice(t *testing.T) {
	ctx := context.Background()
	f, srv := newFake(t)
	c := NewClient(srv.URL, "lab-api-key")
	id, err := c.MyID(ctx)
	if err != nil || id != myID {
		t.Fatalf("MyID = %q, %v", id, err)
	}
	got, err := c.EnsureFolder(ctx, "kabootar-news", "Kabootar news", "/home/sara/news")
	if err != nil || got != "/home/sara/news" {
		t.Fatalf("EnsureFolder = %q, %v", got, err)
	}
	folder := f.folders["kabootar-news"]
	if folder["path"] != "/home/sara/news" || folder["fsWatcherEnabled"] != true || folder["rescanIntervalS"] != float64(3600) {
		t.Errorf("folder made from the defaults: %v", folder)
	}
	// Made already (elsewhere, by the reader): its path is kept.
	if got, err := c.EnsureFolder(ctx, "kabootar-news", "x", "/elsewhere"); err != nil || got != "/home/sara/news" {
		t.Errorf("EnsureFolder again = %q, %v", got, err)
	}
	if err := c.AddDevice(ctx, "kabootar-news", friendID, "Kabootar friend", []string{"tcp://10.67.0.2:22000", "dynamic"}); err != nil {
		t.Fatal(err)
	}
	dev := f.devices[friendID]
	if dev["compression"] != "metadata" || dev["name"] != "Kabootar friend" || len(dev["addresses"].([]any)) != 2 {
		t.Errorf("device: %v", dev)
	}
	// Twice: shared once.
	c.AddDevice(ctx, "kabootar-news", friendID, "Kabootar friend", nil)
	devices := f.folders["kabootar-news"]["devices"].([]any)
	if len(devices) != 1 || devices[0].(map[string]any)["deviceID"] != friendID {
		t.Errorf("folder devices: %v", devices)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	_, srv := newFake(t)
	if _, err := NewClient(srv.URL, "wrong").MyID(ctx); !errors.Is(err, ErrAPI) || !strings.Contains(err.Error(), "API key") {
		t.Errorf("a wrong key: %v", err)
	}
	// Nothing listening: not running.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if _, err := NewClient("http://"+addr, "k").MyID(ctx); !errors.Is(err, ErrNotRunning) {
		t.Errorf("nothing there: %v", err)
	}
	// An answer that is not Syncthing's.
	junk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>router login</html>") }))
	defer junk.Close()
	if _, err := NewClient(junk.URL, "k").MyID(ctx); !errors.Is(err, ErrAPI) {
		t.Errorf("junk: %v", err)
	}
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"myID":"`))
		w.Write(make([]byte, maxAnswer+10))
	}))
	defer huge.Close()
	if _, err := NewClient(huge.URL, "k").MyID(ctx); !errors.Is(err, ErrAPI) || !strings.Contains(err.Error(), "too large") {
		t.Errorf("huge: %v", err)
	}
	for _, bad := range []string{"", "abc", myID[:62], strings.ToLower(myID) + "x"} {
		if _, err := NormalizeDeviceID(bad); !errors.Is(err, ErrDeviceID) {
			t.Errorf("NormalizeDeviceID(%q) = %v", bad, err)
		}
	}
	if id, err := NormalizeDeviceID(" " + strings.ToLower(myID) + "\n"); err != nil || id != myID {
		t.Errorf("a pasted ID: %q, %v", id, err)
	}
}

// Find reads the GUI address and API key of Syncthing's config.xml, and
// asks on loopback whatever address the GUI listens on.
func TestFind(t *testing.T) {
	ctx := context.Background()
	_, srv := newFake(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	home := t.TempDir()
	cfg, _ := os.ReadFile("testdata/config.xml")
	os.WriteFile(filepath.Join(home, "config.xml"), []byte(strings.Replace(string(cfg), "PORT", port, 1)), 0o600)
	env := func(k string) string {
		if k == "XDG_STATE_HOME" {
			return filepath.Dir(home)
		}
		return ""
	}
	c, err := Find(home, env)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := c.MyID(ctx); err != nil || id != myID {
		t.Errorf("MyID through the config: %q, %v", id, err)
	}
	// Found without --syncthing-home, in the state folder.
	state := t.TempDir()
	os.MkdirAll(filepath.Join(state, "syncthing"), 0o700)
	os.WriteFile(filepath.Join(state, "syncthing", "config.xml"), []byte(strings.Replace(string(cfg), "PORT", port, 1)), 0o600)
	c, err = Find("", func(k string) string {
		if k == "XDG_STATE_HOME" {
			return state
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.MyID(ctx); err != nil {
		t.Error(err)
	}
	for name, content := range map[string]string{
		"no key":  `<configuration><gui><address>127.0.0.1:8384</address></gui></configuration>`,
		"socket":  `<configuration><gui><address>/run/st.sock</address><apikey>k</apikey></gui></configuration>`,
		"garbage": "\x00\x01not xml",
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "config.xml"), []byte(content), 0o600)
		if _, err := Find(dir, env); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
