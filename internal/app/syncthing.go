package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kabootar/kabootar/internal/syncthing"
)

// SyncthingFolder is the Syncthing folder ID of the shared folder: the
// same on every machine, so that two readers who add each other's device
// share it without accepting anything in Syncthing.
const SyncthingFolder = "kabootar-news"

// stignore keeps Kabootar's temporary files (a bundle being written) out
// of what Syncthing carries.
const stignore = "// Kabootar: a bundle being written, not yet renamed into place.\n(?d).kabootar-*.tmp\n"

// SyncthingSetup is what share syncthing set up.
type SyncthingSetup struct {
	DeviceID string // this machine's, for a friend to add
	Dir      string // the shared folder
}

// ShareSyncthing makes (through the Syncthing running here) the folder
// that carries bundles, and shares in it: the shared folder already set,
// else one in the data directory. home is Syncthing's configuration
// folder ("": found).
func (a *App) ShareSyncthing(ctx context.Context, home string) (SyncthingSetup, error) {
	c, err := syncthing.Find(home, a.getenv)
	if err != nil {
		return SyncthingSetup{}, err
	}
	id, err := c.MyID(ctx)
	if err != nil {
		return SyncthingSetup{}, err
	}
	s, err := LoadShare(ctx, a.store)
	if err != nil && !errors.Is(err, ErrSettings) {
		return SyncthingSetup{}, err
	}
	dir := s.Dir
	if dir == "" {
		dir = filepath.Join(a.dir, "shared")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return SyncthingSetup{}, fmt.Errorf("the folder %s cannot be made: %w", dir, err)
	}
	ign := filepath.Join(dir, ".stignore")
	if _, err := os.Stat(ign); errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(ign, []byte(stignore), 0o644); err != nil {
			return SyncthingSetup{}, err
		}
	}
	got, err := c.EnsureFolder(ctx, SyncthingFolder, "Kabootar news", dir)
	if err != nil {
		return SyncthingSetup{}, err
	}
	if _, err := a.SetShare(ctx, got, 0, 0); err != nil {
		return SyncthingSetup{}, err
	}
	return SyncthingSetup{DeviceID: id, Dir: got}, nil
}

// ShareSyncthingAdd shares the folder with a friend's Syncthing device;
// address is where to reach it ("": found on the local network).
func (a *App) ShareSyncthingAdd(ctx context.Context, home, deviceID, address string) (string, error) {
	id, err := syncthing.NormalizeDeviceID(deviceID)
	if err != nil {
		return "", inputf("%w", err)
	}
	var addrs []string
	if address != "" {
		addrs = []string{address, "dynamic"}
	}
	c, err := syncthing.Find(home, a.getenv)
	if err != nil {
		return "", err
	}
	if _, err := a.ShareSyncthing(ctx, home); err != nil {
		return "", err
	}
	return id, c.AddDevice(ctx, SyncthingFolder, id, "Kabootar friend", addrs)
}
