using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Qed;

/// <summary>
/// qed_check: walks the L1 table and every L2 table it points at, counting offsets that are not valid clusters
/// of the file (with <c>fix</c> they are cleared and the table rewritten) and clusters referenced twice
/// (corruptions that nothing repairs), then, when every table could be read, unreferenced clusters (leaks, which
/// qemu never repairs). A repair that leaves no corruption marks the image clean.
/// </summary>
internal sealed class QedChecker
{
    private readonly QedDevice _device;
    private readonly QedLayout _layout;
    private readonly bool _fix;
    private readonly QedUsedClusters _used;
    private long _corruptions, _corruptionsFixed, _checkErrors, _allocated, _fragmented;

    public QedChecker(QedDevice device, bool fix)
    {
        _device = device;
        _layout = device.Layout;
        _fix = fix;
        _used = new QedUsedClusters(_layout, device.FileSize);
    }

    public CheckResult Run()
    {
        var header = _device.Header;
        bool complete = CheckL1Table();
        long leaks = complete ? _used.CountUnused(header.HeaderSize) : 0;
        if (complete && _fix && _corruptions == 0 && _checkErrors == 0 && header.Has(QedHeader.FeatureNeedCheck))
        {
            _device.File.Flush();
            _device.MarkClean();
        }
        return new CheckResult
        {
            CheckErrors = _checkErrors,
            Corruptions = _corruptions,
            CorruptionsFixed = _corruptionsFixed,
            Leaks = leaks,
            TotalClusters = (long)((header.ImageSize + header.ClusterSize - 1) / header.ClusterSize),
            AllocatedClusters = _allocated,
            FragmentedClusters = _fragmented,
        };
    }

    /// <summary>An invalid offset: cleared when repairing, else a corruption.</summary>
    private void Invalid(QedTableCache table, ulong tableOffset, int index)
    {
        if (_fix)
        {
            try
            {
                table.Set(tableOffset, index, 0);
                _corruptionsFixed++;
            }
            catch (ImageException)
            {
                _checkErrors++;
            }
        }
        else
            _corruptions++;
    }

    /// <summary>qed_check_l1_table; false when a table could not be read or written (no leak count then).</summary>
    private bool CheckL1Table()
    {
        var header = _device.Header;
        _corruptions += _used.Mark(header.L1TableOffset, header.TableSize);
        for (int i = 0; i < _layout.TableEntries; i++)
        {
            ulong offset = _device.L1.Get(header.L1TableOffset, i);
            if (offset == 0) continue;
            if (!_layout.IsValidTableOffset(offset, _device.FileSize))
            {
                Invalid(_device.L1, header.L1TableOffset, i);
                continue;
            }
            long dup = _used.Mark(offset, header.TableSize);
            _corruptions += dup;
            if (dup > 0) continue; // a table sharing clusters is not descended into
            try
            {
                CheckL2Table(offset);
            }
            catch (ImageException)
            {
                _checkErrors++;
            }
        }
        return _checkErrors == 0;
    }

    /// <summary>qed_check_l2_table, with qemu's allocation and fragmentation counts.</summary>
    private void CheckL2Table(ulong l2Offset)
    {
        ulong last = 0;
        for (int i = 0; i < _layout.TableEntries; i++)
        {
            ulong offset = _device.L2.Get(l2Offset, i);
            if (offset <= 1) continue; // unallocated or zero cluster
            _allocated++;
            if (last != 0 && last + _layout.ClusterSize != offset)
                _fragmented++;
            last = offset;
            if (!_layout.IsValidClusterOffset(offset, _device.FileSize))
            {
                Invalid(_device.L2, l2Offset, i);
                continue;
            }
            _corruptions += _used.Mark(offset, 1);
        }
    }
}
