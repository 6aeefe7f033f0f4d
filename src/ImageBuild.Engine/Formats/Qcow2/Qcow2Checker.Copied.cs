using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>check_oflag_copied: the COPIED flag of active L1/L2 entries must be set exactly when the refcount is 1.</summary>
internal sealed partial class Qcow2Checker
{
    private void CheckOflagCopied(CheckRepair fix)
    {
        // With -r leaks only, repair when the refcounts are known to be right by now.
        bool repair = (fix & CheckRepair.Errors) != 0 ||
            ((fix & CheckRepair.Leaks) != 0 && _res.CheckErrors == 0 && _res.Corruptions == 0 && _res.Leaks == 0);
        var l1 = _dev.L1;
        var l2 = new byte[_cs];
        for (int i = 0; i < l1.Length; i++)
        {
            ulong l1e = l1[i];
            long l2Offset = (long)(l1e & L2Entry.L1OffsetMask);
            if (l2Offset == 0) continue;
            if (!TryDiskRefcount(l2Offset >> _cb, out ulong rc)) continue;
            if ((rc == 1) != ((l1e & L2Entry.Copied) != 0))
            {
                _res.Corruptions++;
                _log.Message($"{(repair ? "Repairing" : "ERROR")} OFLAG_COPIED L2 cluster: l1_index={i} l1_entry={l1e:x} refcount={rc}");
                if (repair)
                {
                    l1[i] = rc == 1 ? l1e | L2Entry.Copied : l1e & ~L2Entry.Copied;
                    if (!_dev.TryWriteL1EntryForCheck(i))
                    {
                        _res.CheckErrors++;
                        throw new ImageException("Input/output error") { Errno = 5 };
                    }
                    _res.Corruptions--;
                    _res.CorruptionsFixed++;
                }
            }

            _dev.File.Read(l2Offset, l2);
            int dirty = 0;
            for (int j = 0; j < _dev.L2Entries; j++)
            {
                ulong e = _dev.GetEntry(l2, j);
                var type = ClusterType(e);
                if (type is not (SubclusterType.Normal or SubclusterType.ZeroAlloc)) continue;
                ulong refcount = 1;
                if (!_dev.HasDataFile && !TryDiskRefcount((long)(e & L2Entry.OffsetMask) >> _cb, out refcount)) continue;
                if ((refcount == 1) != ((e & L2Entry.Copied) != 0))
                {
                    _res.Corruptions++;
                    _log.Message($"{(repair ? "Repairing" : "ERROR")} OFLAG_COPIED data cluster: l2_entry={e:x} refcount={refcount}");
                    if (repair)
                    {
                        _dev.SetEntry(l2, j, refcount == 1 ? e | L2Entry.Copied : e & ~L2Entry.Copied, _dev.GetBitmap(l2, j));
                        dirty++;
                    }
                }
            }
            if (dirty > 0)
            {
                if (!_dev.PreWriteOverlapCheck(Qcow2Device.OverlapActiveL2, l2Offset, _cs))
                {
                    _log.Message("ERROR: Could not write L2 table; metadata overlap check failed: Input/output error");
                    _res.CheckErrors++;
                    throw new ImageException("Input/output error") { Errno = 5 };
                }
                _dev.WriteMetadata(l2Offset, l2);
                _res.Corruptions -= dirty;
                _res.CorruptionsFixed += dirty;
            }
        }
    }
}
