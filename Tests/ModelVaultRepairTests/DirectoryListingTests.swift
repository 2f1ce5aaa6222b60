import FileOutput
import Foundation
import TestSupport
import Testing

/// The names of a directory's entries, as repair's clean-up and a directory walk list them.
@Suite struct DirectoryListingTests {
    @Test func listsEveryNameShortOrLongButTheDotEntries() throws {
        let directory = try TemporaryDirectory("mvfsck-listing")
        // Entries are as long as their names need: short ones end well before a full dirent.
        let names = ["a", "bc", String(repeating: "n", count: 255), ".hidden", "x.modelvault"]
        for name in names { try Data([1]).write(to: directory.url(name)) }
        try FileManager.default.createDirectory(at: directory.url("sub"), withIntermediateDirectories: false)
        let listed = try #require(DirectoryListing.names(in: directory.path))
        #expect(listed.sorted() == (names + ["sub"]).sorted())
    }

    @Test func aDirectoryThatCannotBeOpenedListsNothing() {
        #expect(DirectoryListing.names(in: "/nonexistent/mvfsck-listing") == nil)
    }
}
