package jobs

import "time"

// CertState is how obtaining the site's certificate stands (serve with a domain), for /healthz
// and the dashboard: the zero value is "nothing has failed".
type CertState struct {
	Error   string    // the ACME failure's cause, "" when the last attempt succeeded
	Since   time.Time // the first failure of the current streak
	RetryAt time.Time // no new attempt before then
}

// Failing reports whether the last attempt failed.
func (c CertState) Failing() bool { return c.Error != "" }

// SetCertState records the state of certificate issuance (serve's ACME back-off calls it).
func (j *Jobs) SetCertState(c CertState) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.cert = c
}

// Cert is the last recorded certificate state.
func (j *Jobs) Cert() CertState {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.cert
}
