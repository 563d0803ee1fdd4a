"""Reports rendered from a case folder alone: terminal summary, HTML, STIX 2.1 sightings."""
