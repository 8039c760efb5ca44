package sign

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// signatureType is the critical.type of a cosign simple-signing payload.
const signatureType = payload.CosignSignatureType

// newPayload is the simple-signing payload of digest: its repository as the
// docker-reference, its digest as the docker-manifest-digest, and the annotations as
// the optional part.
func newPayload(digest name.Digest, annotations map[string]string) ([]byte, error) {
	var opt map[string]any
	if len(annotations) > 0 {
		opt = make(map[string]any, len(annotations))
		for k, v := range annotations {
			opt[k] = v
		}
	}
	return json.Marshal(payload.Cosign{Image: digest, Annotations: opt}.SimpleContainerImage())
}

// claims are what a verified payload says.
type claims struct {
	Reference   string
	Digest      string
	Annotations map[string]any
}

// parsePayload reads a simple-signing payload: a JSON object whose critical.type is
// cosign's. Unknown fields are allowed, as in cosign.
func parsePayload(b []byte) (*claims, error) {
	var p payload.SimpleContainerImage
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&p); err != nil {
		return nil, fmt.Errorf("the payload is not simple-signing JSON: %w", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("the payload has data after its JSON object")
	}
	if p.Critical.Type != signatureType {
		return nil, fmt.Errorf("the payload's type is %q, not %q", p.Critical.Type, signatureType)
	}
	return &claims{Reference: p.Critical.Identity.DockerReference, Digest: p.Critical.Image.DockerManifestDigest, Annotations: p.Optional}, nil
}

// sameRepository tells whether a payload's docker-reference names repo: a repository,
// or a repository with a tag or digest (cosign sign --sign-container-identity), with
// Docker Hub's short names expanded.
func sameRepository(reference string, repo name.Repository) bool {
	if reference == "" {
		return false
	}
	r, err := name.ParseReference(reference, name.WeakValidation)
	if err != nil {
		rr, err := name.NewRepository(reference, name.WeakValidation)
		if err != nil {
			return false
		}
		return rr.Name() == repo.Name()
	}
	return r.Context().Name() == repo.Name()
}
