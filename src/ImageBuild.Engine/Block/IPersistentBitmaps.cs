namespace ImageBuild.Engine.Block;

/// <summary>
/// A device that stores persistent dirty bitmaps (a driver with <see cref="FormatFeatures.PersistentBitmaps"/>): what
/// qemu-img bitmap and convert --bitmaps use, without knowing the format.
/// </summary>
public interface IPersistentBitmaps
{
    /// <summary>Whether this image (not only its format) can hold bitmaps, e.g. qcow2 v3 but not v2.</summary>
    bool CanStorePersistentBitmaps { get; }

    /// <summary>The granularity a bitmap gets when none is asked for.</summary>
    long DefaultBitmapGranularity { get; }

    /// <summary>The stored bitmaps, in directory order.</summary>
    IEnumerable<(string Name, int GranularityBits, bool Enabled, bool InUse)> BitmapSummaries { get; }

    /// <summary>Loads the bitmaps for changing them; a read-write open marks them in use until it closes.</summary>
    void LoadBitmapsForWrite();

    void AddBitmap(string name, long granularity, string nodeName);

    void RemoveBitmap(string name);

    void CheckBitmapExists(string name);

    void ClearBitmap(string name);

    void EnableBitmap(string name, bool enable);

    /// <summary>A copy of a bitmap's bits, to merge into another bitmap or image.</summary>
    DirtyBitmap GetBitmapForMerge(string name);

    void MergeBitmap(string target, DirtyBitmap source);

    /// <summary>Adds a bitmap with another image's bits (convert --bitmaps).</summary>
    void ImportBitmap(DirtyBitmap source, bool enabled, string nodeName);
}
