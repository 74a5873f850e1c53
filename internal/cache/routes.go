package cache

import (
	"context"
	"database/sql"
	"time"
)

// RouteRecord is how one route and URL fared for a host on a network,
// last time.
type RouteRecord struct {
	Network string // transport.Network's ID
	Host    string
	Route   string
	URL     string
	OK      bool
	Verdict string
	Elapsed time.Duration
	At      time.Time
}

// RecordRoute remembers how a route fared for a host.
func (s *Store) RecordRoute(ctx context.Context, r RouteRecord) error {
	if r.At.IsZero() {
		r.At = s.now()
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO routes (network, host, route, url, ok, verdict, ms, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (network, host, route, url) DO UPDATE SET ok = excluded.ok, verdict = excluded.verdict,
				ms = excluded.ms, at = excluded.at`,
			r.Network, r.Host, r.Route, r.URL, r.OK, r.Verdict, r.Elapsed.Milliseconds(), r.At.Unix())
		return err
	})
}

// Routes returns what is remembered for host on network, newest
// successes first.
func (s *Store) Routes(ctx context.Context, network, host string) ([]RouteRecord, error) {
	return s.routes(ctx, `WHERE network = ? AND host = ? ORDER BY ok DESC, at DESC`, network, host)
}

// Winners returns, for each host, the latest route that worked on
// network, newest first, at most limit.
func (s *Store) Winners(ctx context.Context, network string, limit int) ([]RouteRecord, error) {
	return s.routes(ctx, `WHERE network = ? AND ok AND at = (SELECT max(at) FROM routes r2
		WHERE r2.network = routes.network AND r2.host = routes.host AND r2.ok)
		GROUP BY host ORDER BY at DESC, host LIMIT ?`, network, limit)
}

func (s *Store) routes(ctx context.Context, where string, args ...any) ([]RouteRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT network, host, route, url, ok, verdict, ms, at FROM routes `+where, args...)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []RouteRecord
	for rows.Next() {
		var r RouteRecord
		var ms, at int64
		if err := rows.Scan(&r.Network, &r.Host, &r.Route, &r.URL, &r.OK, &r.Verdict, &ms, &at); err != nil {
			return nil, err
		}
		r.Elapsed, r.At = time.Duration(ms)*time.Millisecond, fromUnix(at)
		out = append(out, r)
	}
	return out, classify(rows.Err())
}

// ForgetRoutes drops what was learned before t.
func (s *Store) ForgetRoutes(ctx context.Context, before time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM routes WHERE at < ?`, before.Unix())
		return err
	})
}
