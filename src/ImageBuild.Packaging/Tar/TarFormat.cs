namespace ImageBuild.Packaging.Tar;

/// <summary>The two header layouts <see cref="DeterministicTarWriter"/> writes.</summary>
public enum TarFormat
{
    /// <summary>
    /// POSIX ustar (IEEE Std 1003.1, "pax" utility, "ustar Interchange Format"): magic <c>ustar\0</c>, version
    /// <c>00</c>, long names split into prefix and name. What DSP0243 (OVF) requires of an OVA. The bytes are those
    /// of GNU tar 1.34's <c>--format=ustar --numeric-owner</c>.
    /// </summary>
    Ustar,

    /// <summary>
    /// GNU tar's old GNU format (<c>--format=oldgnu</c>): magic <c>ustar  \0</c>, no prefix field, sparse members
    /// ('S') with their map in the header and extension blocks, base-256 numbers where octal does not fit. What
    /// Google Compute Engine asks for its image tarballs.
    /// </summary>
    Gnu,
}
