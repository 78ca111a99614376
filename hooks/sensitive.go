package hooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"reserva/views"
)

// sensitiveKey derives the key of special-category notes from RESERVA_ENCRYPTION_KEY, apart
// from the key of stored settings: HMAC-SHA256(key, purpose).
func sensitiveKey() ([]byte, error) {
	k, err := sealKey()
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte("reserva sensitive notes v1"))
	return m.Sum(nil), nil
}

// sensitiveEnabled reports whether special-category notes can be taken: only with a key.
func sensitiveEnabled() bool {
	_, err := sensitiveKey()
	return err == nil
}

// sealSensitive encrypts a sensitive note for storage.
func sealSensitive(plain string) (string, error) {
	k, err := sensitiveKey()
	if err != nil {
		return "", err
	}
	return seal(k, []byte(plain))
}

// openSensitive decrypts a stored sensitive note.
func openSensitive(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	k, err := sensitiveKey()
	if err != nil {
		return "", err
	}
	b, err := unseal(k, sealed)
	return string(b), err
}

// bookingSensitive (GET /admin/bookings/{id}/sensitive, manager) shows a booking's sensitive
// note; every view is audited. Front desk has no access (403 by the route's guard).
func (h *handlers) bookingSensitive(e *core.RequestEvent) error {
	rec, err := e.App.FindRecordById("bookings", e.Request.PathValue("id"))
	if err != nil {
		return notFound(err)
	}
	note, err := openSensitive(rec.GetString("sensitive_notes"))
	if err != nil {
		return fmt.Errorf("sensitive note of %s: %w", rec.Id, err)
	}
	if err := h.staffAudit(e.App, e, "booking.sensitive_viewed", "bookings/"+rec.Id, ""); err != nil {
		return err
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return render(e, http.StatusOK, views.SensitivePage(views.SensitiveData{AdminPage: h.adminPage(e, views.M("admin.sensitive.title")),
		BookingID: rec.Id, Reference: rec.GetString("reference"), Note: note}))
}
