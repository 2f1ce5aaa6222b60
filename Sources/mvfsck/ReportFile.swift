import FileOutput

/// `--report PATH`: the JSON report written to a file as well, atomically, gzip-compressed
/// when PATH ends in `.gz`.
enum ReportFile {
    static func write(_ json: JSON, to path: String) throws {
        let file = try AtomicFile(destination: path, gzip: path.hasSuffix(".gz"))
        try file.write(json.pretty + "\n")
        try file.commit()
    }
}
