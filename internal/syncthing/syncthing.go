// Package syncthing talks to a running Syncthing daemon through its REST
// API, to set up the folder that carries Kabootar's bundles between
// readers. No Syncthing code is here: Syncthing (Debian's syncthing
// package) does the carrying; this only asks it to.
package syncthing

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/kabootar/kabootar/internal/transport"
)

// Errors callers decide on.
var (
	// ErrNotInstalled: no syncthing program and no configuration.
	ErrNotInstalled = errors.New("syncthing is not installed")
	// ErrNotRunning: configured, but nothing answers at its address.
	ErrNotRunning = errors.New("syncthing is not running")
	// ErrAPI: Syncthing answered with an error.
	ErrAPI = errors.New("syncthing refused")
	// ErrDeviceID: not a Syncthing device ID.
	ErrDeviceID = errors.New("not a Syncthing device ID")
)

// Install says what to install, for the messages.
const Install = "sudo apt install syncthing, then start it (systemctl --user enable --now syncthing)"

// maxAnswer bounds what is read of one REST answer.
const maxAnswer = 4 << 20

// Client is one Syncthing daemon's REST API.
type Client struct {
	base string // http(s)://127.0.0.1:PORT
	key  string
	http *http.Client
}

// config is what Kabootar reads of Syncthing's config.xml.
type config struct {
	GUI struct {
		TLS     bool   `xml:"tls,attr"`
		Address string `xml:"address"`
		APIKey  string `xml:"apikey"`
	} `xml:"gui"`
}

// Homes are where Syncthing keeps its configuration, in the order it
// looks (its --home, else the state folder of newer versions, else the
// config folder of older ones).
func Homes(home string, getenv func(string) string) []string {
	if home != "" {
		return []string{home}
	}
	var out []string
	if h := getenv("STHOMEDIR"); h != "" {
		out = append(out, h)
	}
	if runtime.GOOS == "windows" {
		if d := getenv("LocalAppData"); d != "" {
			out = append(out, filepath.Join(d, "Syncthing"))
		}
		return out
	}
	user := getenv("HOME")
	if d := getenv("XDG_STATE_HOME"); d != "" {
		out = append(out, filepath.Join(d, "syncthing"))
	} else if user != "" {
		out = append(out, filepath.Join(user, ".local", "state", "syncthing"))
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		out = append(out, filepath.Join(d, "syncthing"))
	} else if user != "" {
		out = append(out, filepath.Join(user, ".config", "syncthing"))
	}
	if runtime.GOOS == "darwin" && user != "" {
		out = append(out, filepath.Join(user, "Library", "Application Support", "Syncthing"))
	}
	return out
}

// Find reads the configuration of the Syncthing in home (or the first
// found of Homes) and returns a client of its REST API. Nothing is sent.
func Find(home string, getenv func(string) string) (*Client, error) {
	for _, h := range Homes(home, getenv) {
		data, err := os.ReadFile(filepath.Join(h, "config.xml"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading Syncthing's configuration: %w", err)
		}
		return fromConfig(h, data)
	}
	if _, err := exec.LookPath("syncthing"); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotInstalled, Install)
	}
	return nil, fmt.Errorf("%w: it is installed but has no configuration yet; start it once (syncthing, or systemctl --user enable --now syncthing), or give its folder with --syncthing-home", ErrNotRunning)
}

func fromConfig(home string, data []byte) (*Client, error) {
	if len(data) > maxAnswer {
		return nil, fmt.Errorf("%s/config.xml is too large to be Syncthing's", home)
	}
	var cfg config
	if err := xml.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("%s/config.xml cannot be read: %v", home, err)
	}
	if cfg.GUI.APIKey == "" {
		return nil, fmt.Errorf("%w: its configuration has no API key; set one in Syncthing's settings (Actions > Settings > GUI)", ErrAPI)
	}
	_, port, err := net.SplitHostPort(strings.TrimPrefix(strings.TrimPrefix(cfg.GUI.Address, "http://"), "https://"))
	if err != nil {
		return nil, fmt.Errorf("the GUI address %q in Syncthing's configuration is not host:port (a Unix socket is not supported)", cfg.GUI.Address)
	}
	// Whatever it listens on, it is asked on this machine's loopback.
	c := &Client{base: "http://127.0.0.1:" + port, key: cfg.GUI.APIKey}
	var tlsConfig *tls.Config
	if cfg.GUI.TLS {
		c.base = "https://127.0.0.1:" + port
		// Its certificate is its own, made at its first start.
		pem, err := os.ReadFile(filepath.Join(home, "https-cert.pem"))
		if err != nil {
			return nil, fmt.Errorf("syncthing serves HTTPS, but its certificate cannot be read: %w", err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tlsConfig = &tls.Config{RootCAs: pool, ServerName: "syncthing", MinVersion: tls.VersionTLS12}
	}
	c.http = transport.Loopback(10*time.Second, tlsConfig)
	return c, nil
}

// NewClient is a client of the REST API at base with key (tests).
func NewClient(base, key string) *Client {
	return &Client{base: strings.TrimSuffix(base, "/"), key: key, http: transport.Loopback(10*time.Second, nil)}
}

// call sends one request and decodes the answer into out (when not nil).
func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("X-API-Key", c.key)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: nothing answers at %s (start it: syncthing, or systemctl --user start syncthing)", ErrNotRunning, c.base)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return fmt.Errorf("%w: reading its answer: %v", ErrAPI, err)
	}
	if len(data) > maxAnswer {
		return fmt.Errorf("%w: its answer to %s is too large", ErrAPI, path)
	}
	if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("%w: the API key in its configuration was not accepted (%s)", ErrAPI, resp.Status)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%w %s %s: %s %s", ErrAPI, method, path, resp.Status, strings.TrimSpace(string(clip(data, 300))))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%w: its answer to %s is not what Syncthing gives: %v", ErrAPI, path, err)
		}
	}
	return nil
}

func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// MyID is this machine's Syncthing device ID, for a friend to add.
func (c *Client) MyID(ctx context.Context) (string, error) {
	var st struct {
		MyID string `json:"myID"`
	}
	if err := c.call(ctx, http.MethodGet, "/rest/system/status", nil, &st); err != nil {
		return "", err
	}
	if !ValidDeviceID(st.MyID) {
		return "", fmt.Errorf("%w: its device ID %q is not one", ErrAPI, st.MyID)
	}
	return st.MyID, nil
}

// deviceIDPattern is eight groups of seven base32 characters.
var deviceIDPattern = regexp.MustCompile(`^[A-Z2-7]{7}(-[A-Z2-7]{7}){7}$`)

// ValidDeviceID says whether s is written as a Syncthing device ID
// (Syncthing itself checks the check characters).
func ValidDeviceID(s string) bool { return deviceIDPattern.MatchString(s) }

// NormalizeDeviceID is s upper-cased with spaces taken out, as people
// paste it.
func NormalizeDeviceID(s string) (string, error) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if !ValidDeviceID(s) {
		return "", fmt.Errorf("%w: %q (it looks like XXXXXXX-XXXXXXX-… , eight groups; Syncthing shows it under Actions > Show ID)", ErrDeviceID, s)
	}
	return s, nil
}

// EnsureFolder makes the folder id at path, shared with this device
// only, unless Syncthing has it already (then its path is returned, and
// nothing changes). The folder's other settings are Syncthing's defaults.
func (c *Client) EnsureFolder(ctx context.Context, id, label, path string) (string, error) {
	var existing map[string]any
	err := c.call(ctx, http.MethodGet, "/rest/config/folders/"+id, nil, &existing)
	if err == nil {
		p, _ := existing["path"].(string)
		return p, nil
	}
	if !errors.Is(err, ErrAPI) {
		return "", err
	}
	var folder map[string]any
	if err := c.call(ctx, http.MethodGet, "/rest/config/defaults/folder", nil, &folder); err != nil {
		return "", err
	}
	folder["id"], folder["label"], folder["path"] = id, label, path
	folder["type"] = "sendreceive"
	// Bundles are never edited, only added and removed: watching the
	// folder carries them at once, without waiting for a rescan.
	folder["fsWatcherEnabled"] = true
	folder["fsWatcherDelayS"] = 2
	folder["devices"] = []map[string]any{}
	if err := c.call(ctx, http.MethodPut, "/rest/config/folders/"+id, folder, nil); err != nil {
		return "", err
	}
	return path, nil
}

// AddDevice adds a friend's device (at addresses, or found by
// discovery when none) and shares the folder with it.
func (c *Client) AddDevice(ctx context.Context, folderID, deviceID, name string, addresses []string) error {
	var dev map[string]any
	err := c.call(ctx, http.MethodGet, "/rest/config/devices/"+deviceID, nil, &dev)
	if err != nil {
		if !errors.Is(err, ErrAPI) {
			return err
		}
		if err := c.call(ctx, http.MethodGet, "/rest/config/defaults/device", nil, &dev); err != nil {
			return err
		}
		dev["deviceID"] = deviceID
		dev["name"] = name
	}
	if len(addresses) > 0 {
		dev["addresses"] = addresses
	}
	if err := c.call(ctx, http.MethodPut, "/rest/config/devices/"+deviceID, dev, nil); err != nil {
		return err
	}
	var folder map[string]any
	if err := c.call(ctx, http.MethodGet, "/rest/config/folders/"+folderID, nil, &folder); err != nil {
		return err
	}
	devices, _ := folder["devices"].([]any)
	for _, d := range devices {
		if m, ok := d.(map[string]any); ok && m["deviceID"] == deviceID {
			return nil
		}
	}
	folder["devices"] = append(devices, map[string]any{"deviceID": deviceID})
	return c.call(ctx, http.MethodPut, "/rest/config/folders/"+folderID, folder, nil)
}
