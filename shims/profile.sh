case ":$PATH:" in *:@BIN_DIR@:*) ;; *) PATH=@BIN_DIR@:"$PATH"; export PATH ;; esac
@EXPORTS@
