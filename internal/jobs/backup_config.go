package jobs

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/robfig/cron/v3"

	"reserva/internal/backup"
)

// BackupConfig is how Reserva takes its encrypted backups, read once at start from
// RESERVA_BACKUP_* variables (BackupFromEnv). Without recipients backups are off.
type BackupConfig struct {
	// Recipients are the age public keys backups are encrypted to; the server never needs the
	// matching identities to take backups.
	Recipients []age.Recipient
	// IdentityFile, if set, lets restore drills decrypt (else they check checksums only).
	IdentityFile string
	// Dir holds the .age files and their manifests; "" means <data dir>/reserva-backups.
	Dir string
	// Schedule is the snapshot cron spec in the venue's zone (default every 5 minutes).
	Schedule string
	// Drill is the restore drill's cron spec (default daily at 04:15).
	Drill  string
	Policy backup.Policy
	// S3 is the optional off-site store.
	S3 *S3Config
}

// S3Config is an S3-compatible bucket for off-site copies.
type S3Config struct {
	Endpoint, Bucket, Region, AccessKey, SecretKey, Prefix string
	PathStyle                                              bool
}

// On reports whether backups are configured.
func (c BackupConfig) On() bool { return len(c.Recipients) > 0 }

// Directory is where the backup files live.
func (c BackupConfig) Directory(dataDir string) string {
	if c.Dir != "" {
		return c.Dir
	}
	return filepath.Join(dataDir, backupDirName)
}

// backupDirName is the default backup directory inside pb_data (left out of the snapshots).
const backupDirName = "reserva-backups"

// BackupVars are the variables BackupFromEnv reads.
var BackupVars = []string{
	"RESERVA_BACKUP_RECIPIENTS", "RESERVA_BACKUP_RECIPIENTS_FILE", "RESERVA_BACKUP_IDENTITY_FILE", "RESERVA_BACKUP_DIR",
	"RESERVA_BACKUP_SCHEDULE", "RESERVA_BACKUP_DRILL", "RESERVA_BACKUP_KEEP",
	"RESERVA_BACKUP_S3_ENDPOINT", "RESERVA_BACKUP_S3_BUCKET", "RESERVA_BACKUP_S3_REGION", "RESERVA_BACKUP_S3_ACCESS_KEY",
	"RESERVA_BACKUP_S3_SECRET_KEY", "RESERVA_BACKUP_S3_SECRET_KEY_FILE", "RESERVA_BACKUP_S3_PREFIX", "RESERVA_BACKUP_S3_PATH_STYLE",
}

// BackupFromEnv reads the backup configuration; an invalid value is an error naming its variable.
func BackupFromEnv(getenv func(string) string) (BackupConfig, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	c := BackupConfig{
		Dir: get("RESERVA_BACKUP_DIR"), IdentityFile: get("RESERVA_BACKUP_IDENTITY_FILE"),
		Schedule: get("RESERVA_BACKUP_SCHEDULE"), Drill: get("RESERVA_BACKUP_DRILL"), Policy: backup.DefaultPolicy(),
	}
	lines := strings.FieldsFunc(get("RESERVA_BACKUP_RECIPIENTS"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
	if f := get("RESERVA_BACKUP_RECIPIENTS_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return c, fmt.Errorf("RESERVA_BACKUP_RECIPIENTS_FILE: %w", err)
		}
		lines = append(lines, strings.Split(string(b), "\n")...)
	}
	if len(lines) > 0 {
		rs, err := backup.ParseRecipients(lines)
		if err != nil {
			return c, fmt.Errorf("RESERVA_BACKUP_RECIPIENTS: %w", err)
		}
		c.Recipients = rs
	}
	if c.IdentityFile != "" {
		if _, err := backup.LoadIdentities(c.IdentityFile); err != nil {
			return c, fmt.Errorf("RESERVA_BACKUP_IDENTITY_FILE: %w", err)
		}
	}
	if c.Schedule == "" {
		c.Schedule = "*/5 * * * *"
	}
	if c.Drill == "" {
		c.Drill = "15 4 * * *"
	}
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	if _, err := parser.Parse(c.Schedule); err != nil {
		return c, fmt.Errorf("RESERVA_BACKUP_SCHEDULE: %w", err)
	}
	if _, err := parser.Parse(c.Drill); err != nil {
		return c, fmt.Errorf("RESERVA_BACKUP_DRILL: %w", err)
	}
	if keep := get("RESERVA_BACKUP_KEEP"); keep != "" {
		parts := strings.Split(keep, ",")
		if len(parts) != 3 {
			return c, fmt.Errorf("RESERVA_BACKUP_KEEP: want ALL,HOURLY,DAILY durations such as 1h,48h,168h (got %q)", keep)
		}
		var ds [3]time.Duration
		for i, p := range parts {
			d, err := time.ParseDuration(strings.TrimSpace(p))
			if err != nil {
				return c, fmt.Errorf("RESERVA_BACKUP_KEEP: %w", err)
			}
			ds[i] = d
		}
		c.Policy = backup.Policy{All: ds[0], Hourly: ds[1], Daily: ds[2]}
		if err := c.Policy.Validate(); err != nil {
			return c, fmt.Errorf("RESERVA_BACKUP_KEEP: %w", err)
		}
	}
	if bucket := get("RESERVA_BACKUP_S3_BUCKET"); bucket != "" {
		s := &S3Config{Endpoint: get("RESERVA_BACKUP_S3_ENDPOINT"), Bucket: bucket, Region: get("RESERVA_BACKUP_S3_REGION"),
			AccessKey: get("RESERVA_BACKUP_S3_ACCESS_KEY"), SecretKey: getenv("RESERVA_BACKUP_S3_SECRET_KEY"),
			Prefix: strings.Trim(get("RESERVA_BACKUP_S3_PREFIX"), "/")}
		if f := get("RESERVA_BACKUP_S3_SECRET_KEY_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				return c, fmt.Errorf("RESERVA_BACKUP_S3_SECRET_KEY_FILE: %w", err)
			}
			s.SecretKey = strings.TrimRight(string(b), "\r\n")
		}
		if v := get("RESERVA_BACKUP_S3_PATH_STYLE"); v != "" {
			ps, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("RESERVA_BACKUP_S3_PATH_STYLE: want true or false (got %q)", v)
			}
			s.PathStyle = ps
		}
		switch {
		case s.Endpoint == "":
			return c, fmt.Errorf("RESERVA_BACKUP_S3_ENDPOINT: required with RESERVA_BACKUP_S3_BUCKET")
		case s.AccessKey == "" || s.SecretKey == "":
			return c, fmt.Errorf("RESERVA_BACKUP_S3_ACCESS_KEY and RESERVA_BACKUP_S3_SECRET_KEY: required with RESERVA_BACKUP_S3_BUCKET")
		case s.Region == "":
			s.Region = "us-east-1"
		}
		c.S3 = s
	}
	return c, nil
}

// ageIdentity is age's identity type (a secret key for decryption).
type ageIdentity = age.Identity
