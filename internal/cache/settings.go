package cache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// Setting returns the value stored under key, and whether there is one.
func (s *Store) Setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, classify(err)
	}
	return v, true, nil
}

// SetSetting stores value under key. Settings the cache itself reads are
// checked first, so a bad value is refused rather than stored.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.SetSettings(ctx, map[string]string{key: value})
}

// SetSettings stores every key and value in one transaction: all of them,
// or, when one is refused or the write fails, none.
func (s *Store) SetSettings(ctx context.Context, kv map[string]string) error {
	for key, value := range kv {
		if err := checkSetting(key, value); err != nil {
			return err
		}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
		if err != nil {
			return err
		}
		defer st.Close()
		for key, value := range kv {
			if _, err := st.ExecContext(ctx, key, value); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkSetting refuses a bad value of a setting the cache reads itself.
func checkSetting(key, value string) error {
	switch key {
	case SettingRetentionDays, SettingRetentionPerSource, SettingMediaBudgetMB:
		if n, err := strconv.Atoi(value); err != nil || n < 0 {
			return fmt.Errorf("setting %s: %q is not a whole number of 0 or more (0 means no limit)", key, value)
		}
	}
	return nil
}

// intSetting returns the integer under key, or def when there is none.
func (s *Store) intSetting(ctx context.Context, key string, def int) (int, error) {
	v, ok, err := s.Setting(ctx, key)
	if err != nil || !ok {
		return def, err
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def, fmt.Errorf("setting %s: %q is not a number", key, v)
	}
	return n, nil
}
