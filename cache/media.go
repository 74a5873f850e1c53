package cache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Media is a stored image (or other media) of one or more articles.
type Media struct {
	URL  string
	MIME string
	Data []byte
}

// PutMedia stores m and links it to an article, replacing what was stored
// under the same URL.
func (s *Store) PutMedia(ctx context.Context, articleID int64, m Media) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO media (url, mime, data, size, fetched) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (url) DO UPDATE SET mime = excluded.mime, data = excluded.data,
				size = excluded.size, fetched = excluded.fetched, error = ''
			RETURNING id`, m.URL, m.MIME, m.Data, len(m.Data), s.now().Unix()).Scan(&id)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO article_media (article_id, media_id) VALUES (?, ?)`, articleID, id)
		return err
	})
}

// Media returns the media stored under url.
func (s *Store) Media(ctx context.Context, url string) (Media, error) {
	m := Media{URL: url}
	err := s.db.QueryRowContext(ctx, `SELECT mime, data FROM media WHERE url = ? AND data IS NOT NULL`, url).Scan(&m.MIME, &m.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("media %s: %w", url, ErrNotFound)
	}
	return m, classify(err)
}
