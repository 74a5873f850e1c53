package cache

import (
	"context"
	"database/sql"
)

// stmt is a statement to prepare into *st.
type stmt struct {
	st **sql.Stmt
	q  string
}

// prepare prepares each statement in tx; on a failure it closes those it
// prepared and says why.
func prepare(ctx context.Context, tx *sql.Tx, stmts ...stmt) error {
	for i, s := range stmts {
		st, err := tx.PrepareContext(ctx, s.q)
		if err != nil {
			for _, done := range stmts[:i] {
				(*done.st).Close()
			}
			return err
		}
		*s.st = st
	}
	return nil
}

// closeStmts closes the statements prepared.
func closeStmts(sts ...*sql.Stmt) {
	for _, st := range sts {
		if st != nil {
			st.Close()
		}
	}
}
