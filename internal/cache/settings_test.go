package cache

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A save of many settings is whole or nothing: one refused value, or a
// disk that fills during the write, leaves every key as it was.
func TestSetSettingsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.SetSettings(ctx, map[string]string{"a": "old", SettingRetentionDays: "30"}); err != nil {
		t.Fatal(err)
	}
	err := s.SetSettings(ctx, map[string]string{"a": "new", "b": "new", SettingRetentionDays: "soon"})
	if err == nil || !strings.Contains(err.Error(), SettingRetentionDays) {
		t.Fatalf("a bad value: %v", err)
	}
	for key, want := range map[string]string{"a": "old", SettingRetentionDays: "30"} {
		if v, _, _ := s.Setting(ctx, key); v != want {
			t.Errorf("%s = %q after a refused save, want %q", key, v, want)
		}
	}
	if _, ok, _ := s.Setting(ctx, "b"); ok {
		t.Error("b was stored by a refused save")
	}

	// The disk "fills" during the save.
	path := filepath.Join(t.TempDir(), FileName)
	full, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	full.SetSetting(ctx, "a", "old")
	var pages int
	full.db.QueryRow("PRAGMA page_count").Scan(&pages)
	full.Close()
	full, err = open(ctx, path, options{pragmas: []string{"max_page_count(" + strconv.Itoa(pages) + ")"}})
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	big := map[string]string{"a": "new"}
	for i := range 50 {
		big["k"+strconv.Itoa(i)] = strings.Repeat("x", 4000)
	}
	if err := full.SetSettings(ctx, big); err == nil {
		t.Fatal("a save past the disk's end succeeded")
	}
	if v, _, _ := full.Setting(ctx, "a"); v != "old" {
		t.Errorf("a = %q after a failed save, want old", v)
	}
}
