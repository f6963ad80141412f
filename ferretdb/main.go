// Command ferretdb runs FerretDB's embeddable server so the native stack has a
// MongoDB wire-protocol endpoint without Docker. `go install` of FerretDB's own
// command panics outside its repository (missing generated version file), so we
// wrap the library instead.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address for the MongoDB wire protocol")
	handler := flag.String("handler", "sqlite", "storage handler: sqlite or postgresql")
	sqliteDir := flag.String("sqlite-dir", "", "directory for the SQLite handler's files")
	postgresURL := flag.String("postgresql-url", "", "PostgreSQL URL for the postgresql handler")
	flag.Parse()

	cfg := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Handler:  *handler,
	}
	switch *handler {
	case "sqlite":
		if *sqliteDir == "" {
			fail("--sqlite-dir is required with the sqlite handler")
		}
		if err := os.MkdirAll(*sqliteDir, 0o700); err != nil {
			fail(err.Error())
		}
		cfg.SQLiteURL = "file:" + *sqliteDir + "/"
	case "postgresql":
		if *postgresURL == "" {
			fail("--postgresql-url is required with the postgresql handler")
		}
		cfg.PostgreSQLURL = *postgresURL
	default:
		fail("unknown --handler " + *handler)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	db, err := ferretdb.New(cfg)
	if err != nil {
		fail(err.Error())
	}
	fmt.Fprintf(os.Stderr, "ferretdb: listening on %s (%s)\n", *listen, *handler)
	db.Run(ctx)
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "ferretdb: "+msg)
	os.Exit(2)
}
