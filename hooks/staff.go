package hooks

import (
	"bufio"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"reserva/views"
)

// role is a staff member's rank; a higher one may do everything a lower one may.
type role int

const (
	roleNone role = iota
	roleFrontdesk
	roleManager
	roleOwner
)

var roleNames = map[string]role{"frontdesk": roleFrontdesk, "manager": roleManager, "owner": roleOwner}

func roleOf(staff *core.Record) role { return roleNames[staff.GetString("role")] }

// staffByEmail finds a staff account by address (case-insensitive); sql.ErrNoRows when none.
func staffByEmail(app core.App, email string) (*core.Record, error) {
	rec, err := app.FindFirstRecordByFilter("staff", "email = {:e}", dbx.Params{"e": strings.ToLower(strings.TrimSpace(email))})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, sql.ErrNoRows
	}
	if err != nil {
		return nil, fmt.Errorf("staff: find: %w", err)
	}
	return rec, nil
}

// createStaff makes an account. password may be empty for an account that sets it through a
// link; otherwise it must pass the password rules.
func createStaff(app core.App, email, name, roleName, password, venueName string) (*core.Record, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if _, ok := roleNames[roleName]; !ok {
		return nil, fmt.Errorf("staff: role %q: want owner, manager or frontdesk", roleName)
	}
	if _, err := staffByEmail(app, email); err == nil {
		return nil, fmt.Errorf("staff: %s already has an account", email)
	}
	col, err := app.FindCachedCollectionByNameOrId("staff")
	if err != nil {
		return nil, fmt.Errorf("staff: %w", err)
	}
	rec := core.NewRecord(col)
	rec.SetEmail(email)
	rec.Set("name", name)
	rec.Set("role", roleName)
	rec.Set("active", true)
	rec.SetVerified(true)
	if password == "" {
		// No one knows this password: the account is usable once its owner sets one.
		rec.SetRandomPassword()
	} else {
		if p := passwordProblem(password, email, name, venueName); !p.IsZero() {
			return nil, errors.New(views.NewLocale("en").M(p))
		}
		rec.SetPassword(password)
		rec.Set("password_changed", time.Now().UTC())
	}
	if err := app.Save(rec); err != nil {
		return nil, fmt.Errorf("staff: save %s: %w", email, err)
	}
	return rec, nil
}

// NewStaffCommand is `reserva staff create EMAIL --role owner`, the way in for the first owner,
// and `reserva staff open-access`, the way back in when the IP allow-list shuts everyone out.
// No default password exists anywhere: the password is read from stdin (typed without echo at
// a terminal), or with --link a one-time link to set it is printed.
func NewStaffCommand(app core.App, opts *Options) *cobra.Command {
	root := &cobra.Command{Use: "staff", Short: "Staff accounts"}
	var roleName, name, base string
	var link bool
	create := &cobra.Command{
		Use:          "create EMAIL",
		Short:        "Create a staff account (the first owner, or a rescue account)",
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.migrate(app); err != nil {
				return err
			}
			venueName := ""
			if recs, err := app.FindRecordsByFilter("venue", "", "", 1, 0); err == nil && len(recs) == 1 {
				venueName = recs[0].GetString("name")
			}
			if link {
				rec, err := createStaff(app, args[0], name, roleName, "", venueName)
				if err != nil {
					return err
				}
				if err := audit(app, "", actorConsole, "staff.created", "staff/"+rec.Id, roleName+", password link"); err != nil {
					return err
				}
				token, err := newInvite(app, rec.Email(), roleName, "", time.Now(), 24*time.Hour)
				if err != nil {
					return err
				}
				if base == "" {
					base = opts.BaseURL
				}
				if base == "" {
					base = "http://127.0.0.1:8090"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Created %s (%s). Set the password within 24 hours at this one-time link:\n  %s/admin/invite/%s\n",
					rec.Email(), roleName, strings.TrimRight(base, "/"), token)
				return nil
			}
			password, err := readPassword(cmd)
			if err != nil {
				return err
			}
			rec, err := createStaff(app, args[0], name, roleName, password, venueName)
			if err != nil {
				return err
			}
			if err := audit(app, "", actorConsole, "staff.created", "staff/"+rec.Id, roleName); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created %s (%s). Sign in at /admin/login.\n", rec.Email(), roleName)
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
			if err := opts.migrate(app); err != nil {
				return err
			}
			var a accessSettings
			if _, err := loadSetting(app, "access", &a, nil); err != nil {
				return err
			}
			n := len(a.Allow)
			a.Allow = nil
			if err := saveSetting(app, "access", a, nil); err != nil {
				return err
			}
			if err := audit(app, "", actorConsole, "settings.access", "settings/access", fmt.Sprintf("allow-list of %d emptied", n)); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "The IP allow-list is empty (it held %d): /admin/ and /_/ answer every address again.\n", n)
			return nil
		},
	})
	return root
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
