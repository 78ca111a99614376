package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"reserva/internal/store"
	"reserva/views"
)

// NewStaffCommand is `reserva staff create EMAIL --role owner`, the way in for the first owner,
// and `reserva staff open-access`, the way back in when the IP allow-list shuts everyone out.
// No default password exists anywhere: the password is read from stdin (typed without echo at
// a terminal), or with --link a one-time link to set it is printed.
func NewStaffCommand(app core.App, d Deps) *cobra.Command {
	root := &cobra.Command{Use: "staff", Short: "Staff accounts"}
	var roleName, name, base string
	var link bool
	// site is the site's address for what create prints: --url, else RESERVA_BASE_URL, else
	// what the last serve on this data directory recorded, else the default local address.
	site := func() string {
		b := base
		if b == "" {
			b = strings.TrimSuffix(d.Jobs.AbsURL("/"), "/")
		}
		if b == "" {
			b = recordedSite(app.DataDir())
		}
		if b == "" {
			b = "http://127.0.0.1:8090"
		}
		return strings.TrimRight(b, "/")
	}
	create := &cobra.Command{
		Use:          "create EMAIL",
		Short:        "Create a staff account (the first owner, or a rescue account)",
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := d.Jobs.Migrate(app); err != nil {
				return err
			}
			role := store.Role(roleName)
			if link {
				rec, err := store.CreateStaff(app, args[0], name, role, "", time.Now())
				if err != nil {
					return err
				}
				if err := store.Audit(app, store.Entry{Actor: store.ActorConsole, Action: "staff.created", Target: "staff/" + rec.Id,
					Detail: roleName + ", password link"}); err != nil {
					return err
				}
				token, err := store.NewInvite(app, rec.Email(), role, "", time.Now(), 24*time.Hour)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Created %s (%s). Set the password within 24 hours at this one-time link:\n  %s/admin/invite/%s\n",
					rec.Email(), roleName, site(), token)
				return nil
			}
			password, err := readPassword(cmd)
			if err != nil {
				return err
			}
			if !role.Valid() {
				return fmt.Errorf("staff: role %q: want owner, manager or frontdesk", roleName)
			}
			venueName := ""
			if v, err := store.LoadVenue(app); err == nil {
				venueName = v.Name
			}
			if p := store.PasswordProblem(password, args[0], name, venueName); !p.IsZero() {
				return errors.New(views.NewLocale(views.DefaultLanguage).T(p.Key, p.Args...))
			}
			rec, err := store.CreateStaff(app, args[0], name, role, password, time.Now())
			if err != nil {
				return err
			}
			if err := store.Audit(app, store.Entry{Actor: store.ActorConsole, Action: "staff.created", Target: "staff/" + rec.Id,
				Detail: roleName}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created %s (%s). Sign in at %s/admin/login\n", rec.Email(), roleName, site())
			return nil
		},
	}
	create.Flags().StringVar(&roleName, "role", "owner", "owner, manager or frontdesk")
	create.Flags().StringVar(&name, "name", "", "the person's name")
	create.Flags().BoolVar(&link, "link", false, "print a one-time link to set the password instead of reading it")
	create.Flags().StringVar(&base, "url", "", "the site's address for the link (default RESERVA_BASE_URL)")
	root.AddCommand(create)
	root.AddCommand(&cobra.Command{
		Use:          "open-access",
		Short:        "Empty the dashboard's IP allow-list (when it locks every owner out)",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := d.Jobs.Migrate(app); err != nil {
				return err
			}
			a, err := store.LoadAccess(app)
			if err != nil {
				return err
			}
			n := len(a.Allow)
			a.Allow = nil
			if err := store.SaveSetting(app, store.SettingAccess, a, nil); err != nil {
				return err
			}
			if err := store.Audit(app, store.Entry{Actor: store.ActorConsole, Action: "settings.access", Target: "settings/access",
				Detail: fmt.Sprintf("allow-list of %d emptied", n)}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "The IP allow-list is empty (it held %d): /admin/ and /_/ answer every address again.\n", n)
			return nil
		},
	})
	return workOnExistingData(root)
}

// readPassword reads a password from the terminal without echo (asking twice), or the first
// line of stdin when it is not a terminal.
func readPassword(cmd *cobra.Command) (string, error) {
	fd := int(os.Stdin.Fd())
	if term.IsTerminal(fd) {
		fmt.Fprint(cmd.ErrOrStderr(), "Password (at least 12 characters): ")
		a, err := term.ReadPassword(fd)
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", err
		}
		fmt.Fprint(cmd.ErrOrStderr(), "Again: ")
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("no password on stdin (or use --link)")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
