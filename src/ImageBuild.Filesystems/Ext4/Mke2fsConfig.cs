namespace ImageBuild.Filesystems.Ext4;

/// <summary>
/// The mke2fs.conf given to mke2fs (MKE2FS_CONFIG) so the host's own file cannot change the result: Debian
/// bookworm's defaults for ext4 (features, 256-byte inodes, inode ratio by size class), with the block size always
/// given on the command line.
/// </summary>
internal static class Mke2fsConfig
{
    public const string Text = """
        [defaults]
        	base_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
        	default_mntopts = acl,user_xattr
        	enable_periodic_fsck = 0
        	blocksize = 4096
        	inode_size = 256
        	inode_ratio = 16384

        [fs_types]
        	ext3 = {
        		features = has_journal
        	}
        	ext4 = {
        		features = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
        	}
        	small = {
        		blocksize = 1024
        		inode_ratio = 4096
        	}
        	floppy = {
        		blocksize = 1024
        		inode_ratio = 8192
        	}
        	big = {
        		inode_ratio = 32768
        	}
        	huge = {
        		inode_ratio = 65536
        	}

        """;
}
