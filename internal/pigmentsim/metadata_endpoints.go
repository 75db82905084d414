package pigmentsim

import (
	"net/http"

	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

// The Metadata API's endpoints. Each answers the structure at the clock of
// the request: a plain array (public shape, Pigment's OpenAPI) or an object
// wrapping it (described shape, with blocks' dimensions and applications'
// dates). A missing applicationId or blockId is a 400, an unknown
// application or block (deleted ones included) a 404.

// serveApplications answers GET /api/v1/applications.
func (s *Sim) serveApplications(w http.ResponseWriter, r *http.Request) {
	apps := s.meta.at(s.cfg.Clock()).apps
	s.writeList(w, r, "applications", len(apps), func(b []byte, i int) []byte {
		a := &apps[i]
		b = appendItem(b, a.id, a.name, "")
		if s.cfg.Shape != ShapePublic {
			b = appendTime(append(b, `,"createdAt":`...), a.createdAt)
			b = appendTime(append(b, `,"modifiedAt":`...), a.modified)
		}
		return b
	})
}

// serveBlocks answers GET /api/v1/blocks?applicationId=.
func (s *Sim) serveBlocks(w http.ResponseWriter, r *http.Request) {
	a, ok := s.metaApp(w, r)
	if !ok {
		return
	}
	s.writeList(w, r, "blocks", len(a.blocks), func(b []byte, i int) []byte {
		blk := &a.blocks[i]
		b = appendItem(b, blk.id, blk.name, blk.typ)
		if s.cfg.Shape != ShapePublic {
			b = append(appendStrings(append(b, `,"dimensions":[`...), blk.dimensions), ']')
		}
		return b
	})
}

// serveBlockItems returns the handler of a list of a block's items:
// GET /api/v1/importConfigurations or /api/v1/views?applicationId=&blockId=.
func (s *Sim) serveBlockItems(wrapper string, items func(*metaBlock) []metaItem) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		blk, ok := s.metaBlock(w, r)
		if !ok {
			return
		}
		list := items(blk)
		s.writeList(w, r, wrapper, len(list), func(b []byte, i int) []byte {
			return appendItem(b, list[i].id, list[i].name, list[i].typ)
		})
	}
}

// writeList answers a list of n objects, each appended by item without its
// closing brace: a plain array, or {"wrapper":[...]} in the described shape.
func (s *Sim) writeList(w http.ResponseWriter, r *http.Request, wrapper string, n int, item func(b []byte, i int) []byte) {
	var b []byte
	described := s.cfg.Shape != ShapePublic
	if described {
		b = append(append(append(b, `{"`...), wrapper...), `":`...)
	}
	b = append(b, '[')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(item(b, i), '}')
	}
	b = append(b, ']')
	if described {
		b = append(b, '}')
	}
	s.writeBody(w, r, b)
}

// metaApp finds the application of the request's applicationId, or
// answers 400 or 404.
func (s *Sim) metaApp(w http.ResponseWriter, r *http.Request) (*metaApp, bool) {
	id := r.URL.Query().Get("applicationId")
	if id == "" {
		writeError(w, http.StatusBadRequest, "applicationId is required")
		return nil, false
	}
	i, ok := s.meta.byApp[id]
	if !ok {
		writeError(w, http.StatusNotFound, "application not found")
		return nil, false
	}
	return &s.meta.at(s.cfg.Clock()).apps[i], true
}

// metaBlock finds the block of the request's applicationId and blockId, or
// answers 400 or 404.
func (s *Sim) metaBlock(w http.ResponseWriter, r *http.Request) (*metaBlock, bool) {
	id := r.URL.Query().Get("blockId")
	if id == "" {
		writeError(w, http.StatusBadRequest, "blockId is required")
		return nil, false
	}
	a, ok := s.metaApp(w, r)
	if !ok {
		return nil, false
	}
	blk := a.block(id)
	if blk == nil {
		writeError(w, http.StatusNotFound, "block not found")
		return nil, false
	}
	return blk, true
}

// appendItem appends {"id":..,"name":..[,"type":..] without the closing brace.
func appendItem(b []byte, id, name, typ string) []byte {
	b = jsonenc.AppendString(append(b, `{"id":`...), id)
	b = jsonenc.AppendString(append(b, `,"name":`...), name)
	if typ != "" {
		b = jsonenc.AppendString(append(b, `,"type":`...), typ)
	}
	return b
}
