namespace ImageBuild.Filesystems.Fat;

/// <summary>
/// A directory entry's date and time as fatgen103 "Date and Time Formats" encodes them: date = (year-1980)&lt;&lt;9 |
/// month&lt;&lt;5 | day, time = hour&lt;&lt;11 | minute&lt;&lt;5 | seconds/2, plus DIR_CrtTimeTenth (0..199) for the odd second.
/// The instant is taken as UTC (FAT has no zone) and clamped into FAT's range 1980-01-01 .. 2107-12-31 23:59:58.
/// </summary>
internal readonly record struct FatTimestamp(ushort Date, ushort Time, byte Tenths)
{
    public static FatTimestamp FromUnixSeconds(long seconds)
    {
        var min = new DateTime(1980, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var max = new DateTime(2107, 12, 31, 23, 59, 58, DateTimeKind.Utc);
        long minS = (long)(min - DateTime.UnixEpoch).TotalSeconds, maxS = (long)(max - DateTime.UnixEpoch).TotalSeconds;
        var t = DateTime.UnixEpoch.AddSeconds(Math.Clamp(seconds, minS, maxS));
        ushort date = (ushort)(((t.Year - 1980) << 9) | (t.Month << 5) | t.Day);
        ushort time = (ushort)((t.Hour << 11) | (t.Minute << 5) | (t.Second / 2));
        return new FatTimestamp(date, time, (byte)(t.Second % 2 * 100));
    }
}
