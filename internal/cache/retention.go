package cache

import (
	"context"
	"database/sql"
	"time"
)

// Retention settings, and their defaults: three months and 500 articles a
// source hold a long shutdown's reading without growing without end.
const (
	SettingRetentionDays      = "retention.max_age_days"
	SettingRetentionPerSource = "retention.max_per_source"
	DefaultRetentionDays      = 90
	DefaultRetentionPerSource = 500
)

// Retention is how long articles are kept. Starred articles are kept
// forever; so is any article still in its source's latest fetch.
type Retention struct {
	MaxAge       time.Duration // 0: no limit by age
	MaxPerSource int           // 0: no limit by count
}

// Retention reads the retention settings.
func (s *Store) Retention(ctx context.Context) (Retention, error) {
	days, err := s.intSetting(ctx, SettingRetentionDays, DefaultRetentionDays)
	if err != nil {
		return Retention{}, err
	}
	per, err := s.intSetting(ctx, SettingRetentionPerSource, DefaultRetentionPerSource)
	if err != nil {
		return Retention{}, err
	}
	return Retention{MaxAge: time.Duration(max(days, 0)) * 24 * time.Hour, MaxPerSource: max(per, 0)}, nil
}

// applyRetention removes a source's articles that are past the limits,
// keeping starred ones and those seen in the fetch of now. It asks first
// whether any is: that query is cheap, while a DELETE on articles (with
// its cascades and trigger) costs about a millisecond to prepare, on every
// source of every refresh, nearly always to remove nothing.
func applyRetention(ctx context.Context, tx *sql.Tx, sourceID int64, r Retention, now time.Time) (int, error) {
	removed := 0
	if r.MaxAge > 0 {
		var old bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM articles WHERE source_id = ? AND starred = 0
			AND seen < ? AND published < ?)`, sourceID, now.Unix(), now.Add(-r.MaxAge).Unix()).Scan(&old); err != nil {
			return 0, err
		}
		if old {
			res, err := tx.ExecContext(ctx, `DELETE FROM articles WHERE source_id = ? AND starred = 0
				AND seen < ? AND published < ?`, sourceID, now.Unix(), now.Add(-r.MaxAge).Unix())
			if err != nil {
				return 0, err
			}
			n, _ := res.RowsAffected()
			removed += int(n)
		}
	}
	if r.MaxPerSource > 0 {
		var held int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM articles WHERE source_id = ?`, sourceID).Scan(&held); err != nil {
			return 0, err
		}
		if held > r.MaxPerSource {
			res, err := tx.ExecContext(ctx, `DELETE FROM articles WHERE source_id = ? AND starred = 0 AND seen < ?
				AND id NOT IN (SELECT id FROM articles WHERE source_id = ? ORDER BY published DESC, id DESC LIMIT ?)`,
				sourceID, now.Unix(), sourceID, r.MaxPerSource)
			if err != nil {
				return 0, err
			}
			n, _ := res.RowsAffected()
			removed += int(n)
		}
	}
	if removed > 0 {
		if err := sweepMedia(ctx, tx); err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// sweepMedia removes media no article links to any more, and content no
// media points at.
func sweepMedia(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM media WHERE NOT EXISTS (SELECT 1 FROM article_media am WHERE am.media_id = media.id)`); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE NOT EXISTS (SELECT 1 FROM media m WHERE m.blob_id = blobs.id)`)
	return err
}
