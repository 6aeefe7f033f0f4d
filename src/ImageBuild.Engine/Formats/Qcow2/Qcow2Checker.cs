using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// qemu's qcow2_check_refcounts: rebuilds the expected refcount of every host cluster by walking all metadata
/// (<see cref="Qcow2Checker"/>.References), compares it with the stored refcounts (leaks vs corruptions), checks
/// the COPIED flags, and with a repair mode fixes what qemu fixes, rebuilding the whole refcount structure when
/// qemu would. Diagnostics use qemu's exact wording; failures qemu reports as "Check failed: reason" are thrown
/// as <see cref="ImageException"/> with that reason.
/// </summary>
internal sealed partial class Qcow2Checker
{
    private const int CheckFragInfo = 2;

    private readonly Qcow2Device _dev;
    private readonly ICheckLog _log;
    private readonly int _cb;
    private readonly int _cs;
    private readonly int _order;
    private InMemoryRefcounts _imrt;
    private Counters _res = new();

    /// <summary>qemu's BdrvCheckResult counters for one run.</summary>
    private sealed class Counters
    {
        public long CheckErrors, Corruptions, Leaks, CorruptionsFixed, LeaksFixed;
        public long Allocated, Fragmented, Compressed;

        public Counters Clone() => (Counters)MemberwiseClone();
    }

    private Qcow2Checker(Qcow2Device dev, ICheckLog log)
    {
        _dev = dev;
        _log = log;
        _cb = dev.ClusterBits;
        _cs = 1 << _cb;
        _order = (int)dev.Header.RefcountOrder;
        _imrt = new InMemoryRefcounts(_order, _cs, 0);
    }

    public static CheckResult Run(Qcow2Device dev, CheckRepair fix, ICheckLog log) => new Qcow2Checker(dev, log).Check(fix);

    private long SizeToClusters(long bytes) => (bytes + _cs - 1) >> _cb;

    private CheckResult Check(CheckRepair fix)
    {
        long nbClusters = SizeToClusters(_dev.File.Length);
        if (nbClusters > int.MaxValue || _imrt.ByteSizeFor(nbClusters) > InMemoryRefcounts.MaxBytes)
            throw new ImageException("File too large");
        _imrt = new InMemoryRefcounts(_order, _cs, nbClusters);
        long total = SizeToClusters(_dev.VirtualSize);
        bool rebuild = false;

        CalculateRefcounts(fix, ref rebuild);

        // A first comparison only reports; when something is to be fixed without a rebuild, it runs again
        // with repairs from the same starting counters.
        var preCompare = _res.Clone();
        long highest = CompareRefcounts(CheckRepair.None, ref rebuild);

        if (rebuild && (fix & CheckRepair.Errors) != 0)
        {
            var old = _res.Clone();
            long freshLeaks = 0;
            _log.Message("Rebuilding refcount structure");
            Qcow2RefcountRebuilder.Rebuild(_dev, _imrt, () => _res.CheckErrors++);
            _res.Corruptions = 0;
            _res.Leaks = 0;

            // The old structures are now leaked and every reference must be counted again.
            rebuild = false;
            _imrt.Clear();
            CalculateRefcounts(CheckRepair.None, ref rebuild);
            if ((fix & CheckRepair.Leaks) != 0)
            {
                var saved = _res;
                _res = new Counters();
                highest = CompareRefcounts(CheckRepair.Leaks, ref rebuild);
                if (rebuild)
                    _log.Message("ERROR rebuilt refcount structure is still broken");
                freshLeaks = _res.Leaks;
                _res = saved;
            }
            if (_res.Corruptions < old.Corruptions)
                _res.CorruptionsFixed += old.Corruptions - _res.Corruptions;
            if (_res.Leaks < old.Leaks)
                _res.LeaksFixed += old.Leaks - _res.Leaks;
            _res.Leaks += freshLeaks;
        }
        else if (fix != CheckRepair.None)
        {
            if (rebuild)
            {
                _log.Message("ERROR need to rebuild refcount structures");
                _res.CheckErrors++;
                throw new ImageException("Input/output error") { Errno = 5 };
            }
            if (_res.Leaks != 0 || _res.Corruptions != 0)
            {
                _res = preCompare;
                highest = CompareRefcounts(fix, ref rebuild);
            }
        }

        CheckOflagCopied(fix);

        return new CheckResult
        {
            CheckErrors = _res.CheckErrors,
            Corruptions = _res.Corruptions,
            Leaks = _res.Leaks,
            CorruptionsFixed = _res.CorruptionsFixed,
            LeaksFixed = _res.LeaksFixed,
            ImageEndOffset = (highest + 1) * _cs,
            TotalClusters = total,
            AllocatedClusters = _res.Allocated,
            FragmentedClusters = _res.Fragmented,
            CompressedClusters = _res.Compressed,
        };
    }

    /// <summary>compare_refcounts: returns the highest cluster in use on disk or in the computed table.</summary>
    private long CompareRefcounts(CheckRepair fix, ref bool rebuild)
    {
        long highest = 0;
        for (long i = 0; i < _imrt.Clusters; i++)
        {
            if (!TryDiskRefcount(i, out ulong r1))
            {
                _log.Message($"Can't get refcount for cluster {i}: Input/output error");
                _res.CheckErrors++;
                continue;
            }
            ulong r2 = _imrt.Get(i);
            if (r1 > 0 || r2 > 0) highest = i;
            if (r1 == r2) continue;

            bool leak = r1 > r2;
            bool repair = false;
            if (r1 == 0)
                rebuild = true;
            else if (leak && (fix & CheckRepair.Leaks) != 0)
                repair = true;
            else if (!leak && (fix & CheckRepair.Errors) != 0)
                repair = true;
            _log.Message($"{(repair ? "Repairing" : leak ? "Leaked" : "ERROR")} cluster {i} refcount={r1} reference={r2}");
            if (repair && TryUpdateRefcount(i, leak ? r1 - r2 : r2 - r1, decrease: leak))
            {
                // qemu frees with QCOW2_DISCARD_ALWAYS: a cluster no longer in use is discarded in the file.
                if (r2 == 0)
                    _dev.File.ZeroRange(i << _cb, _cs);
                if (leak) _res.LeaksFixed++;
                else _res.CorruptionsFixed++;
                continue;
            }
            if (leak) _res.Leaks++;
            else _res.Corruptions++;
        }
        return highest;
    }

    private bool TryUpdateRefcount(long cluster, ulong addend, bool decrease)
    {
        try
        {
            _dev.Refcounts.Update(cluster << _cb, 1, addend, decrease);
            return true;
        }
        catch (ImageException)
        {
            return false;
        }
    }

    /// <summary>qcow2_get_refcount as check uses it: false where qemu fails with an I/O error (an unaligned refcount block).</summary>
    private bool TryDiskRefcount(long cluster, out ulong refcount)
    {
        refcount = 0;
        long ti = cluster >> (_cb + 3 - _order);
        var table = _dev.Refcounts.Table;
        if (ti >= table.Length) return true;
        long block = ReftableEntry.BlockOffset(table[(int)ti]);
        if (block == 0) return true;
        if (block < 0) return false; // bit 63: beyond what qemu's block layer reads (EIO)
        if ((block & (_cs - 1)) != 0)
        {
            _dev.SignalCorruption($"Refblock offset {Hex0x((ulong)block)} unaligned (reftable index: {Hex0x((ulong)ti)})");
            return false;
        }
        refcount = _dev.Refcounts.GetRefcount(cluster);
        return true;
    }

    private static string Hex0x(ulong v) => AltHex.Of(v);
}
