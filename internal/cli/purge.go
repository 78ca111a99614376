package cli

import "github.com/spf13/cobra"

// NewPurgeCommand is `reserva purge [--dry-run]`: the daily retention purge, run at once. It
// prints what it did (or, with --dry-run, what it would do) as counts.
func NewPurgeCommand(d Deps) *cobra.Command {
	var dryRun bool
	c := &cobra.Command{
		Use:   "purge",
		Short: "Apply the retention period now: anonymise old bookings, delete old tokens, mail bodies and logs",
		Long: "Apply the retention rules now, as the daily job does at 04:00: bookings whose visit ended more than " +
			"the venue's retention period ago (Settings; default 548 days) lose their personal data, customers " +
			"left without any are deleted, sent mails' bodies are stripped after 30 days, expired tokens are " +
			"deleted and logs are kept 30 days. --dry-run counts without changing anything.",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := d.Jobs.Migrate(d.Store.App()); err != nil {
				return err
			}
			d.Jobs.FromCommandLine()
			r, err := d.Jobs.Purge(d.Jobs.Now(), dryRun)
			r.Write(cmd.OutOrStdout())
			return err
		},
	}
	c.Flags().BoolVar(&dryRun, "dry-run", false, "count what would be purged, change nothing")
	return workOnExistingData(c)
}
