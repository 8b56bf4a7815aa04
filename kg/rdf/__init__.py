"""RDF: IRIs, N-Quads writing, the embedded Oxigraph store, SPARQL parameters."""
