using ImageBuild.Recipes.Cache.Remote;

namespace ImageBuild.Recipes.Execution;

/// <summary>
/// A step entry fetched from a step cache and verified: its files (when it has an output) lie in
/// <see cref="Folder"/> under their recorded names, main file first, each hashed to what the record says.
/// </summary>
/// <param name="Entry">The entry as the store gave it.</param>
/// <param name="Folder">The step's private folder holding the files; null for a step without output.</param>
/// <param name="Names">The files' names (main first); empty without output.</param>
/// <param name="Hashes">Each file's content hash, in the order of <paramref name="Names"/>.</param>
/// <param name="DataBytes">Bytes of data the files hold (their holes left out): what the transfer carried.</param>
/// <param name="Seconds">How long lookup, download and verification took.</param>
internal sealed record PulledStep(CachedStep Entry, string? Folder, IReadOnlyList<string> Names, IReadOnlyList<string> Hashes, long DataBytes, double Seconds);
