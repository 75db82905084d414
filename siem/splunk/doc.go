// Package splunkapp holds the tests of the Splunk app in pigment_audit/ (the
// app itself is configuration: .conf files and Dashboard Studio views).
//
// They check what Splunk would only reveal once installed: that every .conf
// file parses strictly, that every event type the simulator emits in both
// vocabularies falls in exactly one CIM event type with the right tags, that
// every field a dashboard, macro or saved search uses is one the HEC format
// produces, and that every dashboard validates against Dashboard Studio's
// definition schema. `make splunk-app` packages the directory.
package splunkapp
