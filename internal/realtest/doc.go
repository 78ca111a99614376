// Package realtest starts the real components Reserva's tests run against (Mailpit for SMTP,
// Pebble for ACME, Debian's chromium) and makes what they need (certificates, free ports).
// The component starters are built only with the integration tag; .ci/run installs the
// components, and a missing one fails the test: nothing here skips.
package realtest
