package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/esgen/esgen/schema"
	"github.com/spf13/cobra"
)

// configTemplate is the esgen.yaml that `esgen init` writes.
const configTemplate = `# esgen project file. Paths are relative to this file.
# Reference: docs/contracts.md and docs/cli.md.

# Folder of Avro event contracts: one folder per event, named after the
# record, holding v1.avsc, v2.avsc, ... Published versions never change.
# Shared named types may live in contracts/_types/*.avsc.
contracts: contracts

# Compatibility level every new version must meet: BACKWARD,
# BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE
# or NONE. BACKWARD_TRANSITIVE lets today's code read every stored event.
compatibility: BACKWARD_TRANSITIVE

# Per-event overrides, keyed by the event's full Avro name.
# events:
#   orders.OrderCreated:
#     compatibility: FULL_TRANSITIVE

# A Confluent-compatible schema registry (Confluent, Redpanda, Apicurio,
# Karapace) for esgen push, pull and check --registry.
# registry:
#   url: http://localhost:8081       # ${VAR} is read from the environment
#   subject_strategy: record         # record (default), topic_record or topic
#   # topic: orders                  # needed by topic_record and topic
#   auth:                            # names of environment variables, never values
#     username_env: SCHEMA_REGISTRY_USER
#     password_env: SCHEMA_REGISTRY_PASSWORD
#     # token_env: SCHEMA_REGISTRY_TOKEN   # bearer token instead of basic auth
#   tls:
#     # ca_file: ca.pem
#     # cert_file: client.pem
#     # key_file: client-key.pem
#   timeout: 10s                     # per request
#   retries: 4                       # retries of 5xx and network failures
#   set_compatibility: false         # true: push sets each subject's level to the event's

# Code generation (esgen generate).
generate:
  output: internal/events            # folder for generated Go files
  package: events                    # Go package name

# Aggregates: one interface with an Apply method per event.
# aggregates:
#   - name: Order
#     stream: order-{id}
#     events: [orders.OrderCreated, orders.OrderShipped]

# Projections: one handler interface per projection.
# projections:
#   - name: order_status
#     events: [orders.OrderCreated, orders.OrderShipped]
`

func newInitCmd() *cobra.Command {
	var (
		dir   string
		force bool
	)
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented esgen.yaml and an empty contracts folder",
		Long: `init writes a commented esgen.yaml into --dir (the current folder by default)
and creates its contracts folder. It refuses to replace an existing esgen.yaml
unless --force is given.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := filepath.Join(dir, schema.ConfigFile)
			if fileExists(path) && !force {
				return usageErrorf("%s already exists: edit it, or pass --force to replace it", path)
			}
			if err := os.MkdirAll(filepath.Join(dir, "contracts"), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(path, []byte(configTemplate), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s and %s/\nnext: add contracts/<EventName>/v1.avsc, then run esgen check\n", path, filepath.Join(dir, "contracts"))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "folder to initialise")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing esgen.yaml")
	return cmd
}
