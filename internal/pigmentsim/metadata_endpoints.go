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
	st := s.meta.at(s.cfg.Clock())
	b := s.openList(nil, "applications")
	for i := range st.apps {
		a := &st.apps[i]
		b = appendSep(b, i)
		b = appendItem(b, a.id, a.name, "")
		if s.cfg.Shape != ShapePublic {
			b = appendTime(append(b, `,"createdAt":`...), a.createdAt)
			b = appendTime(append(b, `,"modifiedAt":`...), a.modified)
		}
		b = append(b, '}')
	}
	s.writeBody(w, r, s.closeList(b))
}

// serveBlocks answers GET /api/v1/blocks?applicationId=.
func (s *Sim) serveBlocks(w http.ResponseWriter, r *http.Request) {
	a, ok := s.metaApp(w, r)
	if !ok {
		return
	}
	b := s.openList(nil, "blocks")
	for i := range a.blocks {
		blk := &a.blocks[i]
		b = appendSep(b, i)
		b = appendItem(b, blk.id, blk.name, blk.typ)
		if s.cfg.Shape != ShapePublic {
			b = append(b, `,"dimensions":[`...)
			b = appendStrings(b, blk.dimensions)
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	s.writeBody(w, r, s.closeList(b))
}

// serveImports answers GET /api/v1/importConfigurations?applicationId=&blockId=.
func (s *Sim) serveImports(w http.ResponseWriter, r *http.Request) {
	blk, ok := s.metaBlock(w, r)
	if !ok {
		return
	}
	b := s.openList(nil, "importConfigurations")
	for i, c := range blk.imports {
		b = append(appendItem(appendSep(b, i), c.ID, c.Name, ""), '}')
	}
	s.writeBody(w, r, s.closeList(b))
}

// serveViews answers GET /api/v1/views?applicationId=&blockId=.
func (s *Sim) serveViews(w http.ResponseWriter, r *http.Request) {
	blk, ok := s.metaBlock(w, r)
	if !ok {
		return
	}
	b := s.openList(nil, "views")
	for i, v := range blk.views {
		b = append(appendItem(appendSep(b, i), v.ID, v.Name, v.Type), '}')
	}
	s.writeBody(w, r, s.closeList(b))
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

// openList starts a list: '[' or {"wrapper":[ in the described shape.
func (s *Sim) openList(b []byte, wrapper string) []byte {
	if s.cfg.Shape != ShapePublic {
		b = append(append(append(b, `{"`...), wrapper...), `":`...)
	}
	return append(b, '[')
}

// closeList ends what openList started.
func (s *Sim) closeList(b []byte) []byte {
	b = append(b, ']')
	if s.cfg.Shape != ShapePublic {
		b = append(b, '}')
	}
	return b
}

func appendSep(b []byte, i int) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	return b
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
