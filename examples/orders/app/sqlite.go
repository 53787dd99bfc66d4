package app

import (
	"context"
	"errors"
)

func (a *App) openSQLite(ctx context.Context, cfg Config) error {
	return errors.New("embedded store: not wired yet")
}
